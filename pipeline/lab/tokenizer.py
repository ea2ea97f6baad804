"""The starter recognizer's tokenizer: a byte-level BPE trained offline on the shop's words.

Trained with the ``tokenizers`` library on the catalog (names, prompts in English and Chinese,
brand and category names) and the caption templates, then saved as a
``PreTrainedTokenizerFast`` so ``AutoTokenizer.from_pretrained(models/recognizer)`` loads it.
Byte-level: any text (a new SKU's prompt, an unseen Chinese character) still encodes.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.vision import captions

PAD, EOS, BOS = "<|pad|>", "<|endoftext|>", "<|startoftext|>"
# ids 0, 1, 2 — the end token is *not* id 2 (CLIP's text model treats eos id 2 as a legacy
# vocabulary and pools at the highest id instead of at the end token).
SPECIAL_TOKENS = [PAD, EOS, BOS]


def corpus(catalog: Catalog) -> list[str]:
    """Every phrase the recognizer will read, with the caption templates applied."""
    lines: list[str] = []
    for c in catalog.categories:
        lines += [c.name, c.name_zh]
    for b in catalog.brands:
        lines += [b.name, b.name_zh]
    groups = [captions.prompts_by_language(s) for s in catalog.skus]
    groups += [captions.prompts_by_language(extra) for extra in (keys.UNKNOWN, keys.EMPTY)]
    for sku in catalog.skus:
        lines += [sku.name.en, sku.name.zh, sku.size]
    for group in groups:
        lines += [p for ps in group.values() for p in ps]
        for orientation in captions.ORIENTATION_TEMPLATES:
            lines += captions.orientation_prompts(group, orientation, all_templates=True)
    return lines


def build_tokenizer(catalog: Catalog, vocab_size: int = 2000, max_length: int = 32):
    """Train the BPE and wrap it as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import BpeTrainer
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.decoder = decoders.ByteLevel()
    trainer = BpeTrainer(
        vocab_size=vocab_size, min_frequency=1, special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(corpus(catalog), trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}",
        special_tokens=[(BOS, tok.token_to_id(BOS)), (EOS, tok.token_to_id(EOS))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD,
        model_max_length=max_length,
    )


def save_tokenizer(tokenizer, out: Path) -> None:  # noqa: ANN001
    """Save for ``AutoTokenizer``; the class is written as ``PreTrainedTokenizerFast`` so
    transformers 4.x loads the folder as well as 5.x."""
    import json

    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(out))
    config_file = out / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_file.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
