"""Train the starter recognizer: a small CLIP dual encoder on synthetic crops and their captions.

The model is transformers' ``CLIPModel`` with a small ``CLIPConfig`` (64 px images, 8 px
patches, 4 + 4 transformer layers of width 128) and a byte-level BPE tokenizer built offline from the
catalog (:mod:`pipeline.lab.tokenizer`). It learns from product crops of synthetic shelves
(ground-truth boxes, jittered like detector boxes; upright, lying, and upright ones turned 90
degrees; colour, noise and blur augmentation) against captions made from the catalog prompts
(en and zh) and orientation words (:mod:`pipeline.vision.captions`), so the catalog's own text
prompts name the synthetic products. The loss is contrastive over the caption set:

* SKU: image vs the mean embedding of two sampled prompts of every SKU, of "unknown product"
  and of "empty shelf" (softmax cross-entropy over 28 classes) — the same form the recognizer
  uses; the empty-shelf ("no product") crops are windows of ground-truth gaps and windows over
  signs and tags (where detectors draw stray boxes);
* orientation: for the crop's own SKU, image vs its "lying" and "upright" captions (logistic;
  not for empty-shelf crops).

Afterwards the recognition rule is tuned on held-out scenes (:mod:`pipeline.lab.recognizer_tuning`)
and everything is saved as a Hugging Face folder (fp16 safetensors).

``init`` fine-tunes a trained folder instead (its tokenizer and shape; its tuning is where the
re-tuning starts), and ``detector`` adds that detector's own product boxes on the training
scenes, labelled from the truth (:func:`pipeline.lab.shelf_crops.label_proposals`): the
tall boxes over small cans and slivers past a shelf's last facing that ground-truth crops
never show.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.lab.shelf_crops import CropSet
from pipeline.vision import captions
from pipeline.vision.crops import CLIP_MEAN, CLIP_STD

# Box noise of the tuning crops: each edge moves by up to this fraction of the box. The starter
# detector's product boxes miss the truth by an edge std of 0.022-0.027 box sizes (11,224 boxes
# of the seed-98 tuning scenes); uniform +-0.05 has std 0.029. (0.03 before: too clean, so the
# orientation weight was tuned on boxes tidier than the detector draws.)
VAL_JITTER = 0.05

@dataclass
class RecognizerTraining:
    """What to train on and how (``data`` wins over rendering ``scenes`` from ``seed``)."""

    data: Path | None = None
    scenes: int = 160
    seed: int = 0
    val_scenes: int = 24
    steps: int = 1500
    epochs: float | None = None  # when set: steps = epochs * training crops / batch
    batch: int = 64
    lr: float = 1e-3
    image_size: int = 64
    width: int = 128
    layers: int = 4
    out: Path = Path("models/recognizer")
    gallery_out: Path | None = Path("models/gallery")
    gallery_per_sku: int = 5
    empty_per_gap: int = 2  # empty-shelf crops per ground-truth gap (0: no empty class)
    sign_windows: int = 0  # "no product" windows over signs and tags, per photo
    threads: int = 1  # one thread: on a shared CPU, two threads wait on each other
    max_minutes: float = 20.0  # the training loop's wall-clock budget
    init: Path | None = None  # fine-tune this trained model folder (its tokenizer and tuning)
    detector: Path | None = None  # also learn from this detector's boxes on the training scenes


def build_model(vocab: int, tokenizer, job: RecognizerTraining):  # noqa: ANN001
    from transformers import CLIPConfig, CLIPModel

    heads = max(1, job.width // 64)
    config = CLIPConfig(
        text_config=dict(vocab_size=vocab, hidden_size=job.width, intermediate_size=4 * job.width,
                         num_hidden_layers=job.layers, num_attention_heads=heads,
                         max_position_embeddings=32, eos_token_id=tokenizer.eos_token_id,
                         bos_token_id=tokenizer.bos_token_id,
                         pad_token_id=tokenizer.pad_token_id),
        vision_config=dict(hidden_size=job.width, intermediate_size=4 * job.width,
                           num_hidden_layers=job.layers, num_attention_heads=heads,
                           image_size=job.image_size, patch_size=8),
        projection_dim=128,
    )
    return CLIPModel(config)


class Augment:
    """Batched tensor augmentation of uint8 crops -> normalised float input + labels."""

    def __init__(self, seed: int):
        self.gen = torch.Generator().manual_seed(seed)
        self.mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
        self.std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)

    def rand(self, *shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=self.gen)

    def __call__(self, crops: torch.Tensor, lying: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        x = crops.float() / 255.0
        lying = lying.clone()
        turn = (self.rand(len(x)) < 0.3) & ~lying  # an upright product turned 90 degrees lies
        way = self.rand(len(x)) < 0.5
        for k, mask in ((1, turn & way), (3, turn & ~way)):
            if mask.any():
                x[mask] = torch.rot90(x[mask], k, dims=(2, 3))
        lying[turn] = True
        n = len(x)
        gain = 0.7 + 0.6 * self.rand(n, 1, 1, 1)
        cast = 0.9 + 0.2 * self.rand(n, 3, 1, 1)
        contrast = 0.75 + 0.5 * self.rand(n, 1, 1, 1)
        mid = x.mean(dim=(1, 2, 3), keepdim=True)
        x = ((x - mid) * contrast + mid) * gain * cast
        blur = self.rand(n) < 0.3
        if blur.any():
            x[blur] = torch.nn.functional.avg_pool2d(x[blur], 3, stride=1, padding=1,
                                                     count_include_pad=False)
        x = x + torch.randn(x.shape, generator=self.gen) * (0.04 * self.rand(n, 1, 1, 1))
        return (x.clamp(0, 1) - self.mean) / self.std, lying


class CaptionSampler:
    """Token batches of sampled captions per class (catalog SKUs, the unknown product, the
    empty shelf)."""

    def __init__(self, catalog: Catalog, tokenizer, seed: int, empty: bool = True):  # noqa: ANN001
        self.entries = [captions.prompts_by_language(s) for s in catalog.skus]
        self.entries.append(captions.prompts_by_language(keys.UNKNOWN))
        self.products = len(self.entries)  # classes with an orientation
        if empty:
            self.entries.append(captions.prompts_by_language(keys.EMPTY))
        self.tokenizer = tokenizer
        self.rng = np.random.default_rng(seed)

    def _pick(self, entry: dict[str, list[str]]) -> tuple[str, str]:
        lang = self.rng.choice(list(entry))
        return str(lang), str(self.rng.choice(entry[lang]))

    def sku_texts(self, per_class: int = 2) -> list[str]:
        return [self._pick(e)[1] for e in self.entries for _ in range(per_class)]

    def orientation_texts(self, orientation: str) -> list[str]:
        out = []
        for entry in self.entries[:self.products]:
            lang, prompt = self._pick(entry)
            template = self.rng.choice(captions.ORIENTATION_TEMPLATES[orientation][lang])
            out.append(str(template).format(p=prompt))
        return out

    def encode(self, texts: list[str]) -> dict[str, torch.Tensor]:
        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=32,
                             return_tensors="pt")
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def _text(model, enc: dict[str, torch.Tensor]) -> torch.Tensor:  # noqa: ANN001
    from pipeline.vision.dual_encoder import _pooled

    return torch.nn.functional.normalize(_pooled(model.get_text_features(**enc)), dim=-1)


def train_steps(model, crops: CropSet, catalog: Catalog, tokenizer,  # noqa: ANN001
                job: RecognizerTraining, log=print) -> dict[str, float]:  # noqa: ANN001
    """The contrastive training loop (stops early at ``job.max_minutes``)."""
    torch.manual_seed(job.seed)
    augment = Augment(job.seed)
    empty = bool((crops.sku_index > len(catalog.skus)).any())
    sampler = CaptionSampler(catalog, tokenizer, job.seed, empty=empty)
    n_cls = len(sampler.entries)
    opt = torch.optim.AdamW(model.parameters(), lr=job.lr, weight_decay=0.05)
    started = time.time()
    warm = max(1, job.steps // 20)
    budget = job.max_minutes * 60

    def progress(s: int) -> float:  # by steps or by the time budget, whichever is further
        return min(1.0, max(s / job.steps, (time.time() - started) / budget))

    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + np.cos(np.pi * progress(s))))
    labels = torch.from_numpy(crops.sku_index)
    lying_all = torch.from_numpy(crops.lying)
    rng = np.random.default_rng(job.seed)
    step, loss_sum, acc_sum = 0, 0.0, 0.0
    model.train()
    for step in range(job.steps):
        idx = torch.from_numpy(rng.choice(len(crops), job.batch, replace=False))
        x, lying = augment(crops.pixels[idx], lying_all[idx])
        y = labels[idx]
        img = torch.nn.functional.normalize(_pooled_image(model, x), dim=-1)
        sku_t = _text(model, sampler.encode(sampler.sku_texts()))
        sku_t = torch.nn.functional.normalize(sku_t.view(n_cls, -1, sku_t.shape[-1]).mean(1), dim=-1)
        up_t = _text(model, sampler.encode(sampler.orientation_texts(keys.UPRIGHT)))
        ly_t = _text(model, sampler.encode(sampler.orientation_texts(keys.LYING)))
        scale = model.logit_scale.exp().clamp(max=100.0)
        sku_loss = torch.nn.functional.cross_entropy(scale * img @ sku_t.T, y)
        product = y < sampler.products  # empty-shelf crops have no orientation
        yp = y[product]
        llr = scale * ((img[product] * ly_t[yp]).sum(1) - (img[product] * up_t[yp]).sum(1))
        or_loss = torch.nn.functional.binary_cross_entropy_with_logits(llr, lying[product].float())
        loss = sku_loss + 0.5 * or_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        loss_sum += loss.item()
        acc_sum += ((img @ sku_t.T).argmax(1) == y).float().mean().item()
        if (step + 1) % 25 == 0:
            log(_("step {step}/{steps} loss {loss} train-acc {acc} scale {scale} {seconds}s")
                .format(step=step + 1, steps=job.steps, loss=f"{loss_sum / 25:.3f}",
                        acc=f"{acc_sum / 25:.3f}", scale=f"{scale.item():.1f}",
                        seconds=f"{time.time() - started:.0f}"))
            loss_sum = acc_sum = 0.0
        if time.time() - started > budget:
            log(_("time budget reached at step {step}").format(step=step + 1))
            break
    model.eval()
    return {"steps": step + 1, "seconds": round(time.time() - started, 1)}


def _pooled_image(model, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
    from pipeline.vision.dual_encoder import _pooled

    return _pooled(model.get_image_features(pixel_values=x))


def save_model(model, tokenizer, job: RecognizerTraining, record: dict) -> None:  # noqa: ANN001
    """Write the Hugging Face folder: fp16 weights, tokenizer, preprocessor, training record."""
    from transformers import CLIPImageProcessor

    out = Path(job.out)
    out.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(str(out), safe_serialization=True)
    model.float()
    from pipeline.lab.tokenizer import save_tokenizer

    save_tokenizer(tokenizer, out)
    size = {"height": job.image_size, "width": job.image_size}
    CLIPImageProcessor(size=size, crop_size=size, do_center_crop=False,
                       image_mean=list(CLIP_MEAN), image_std=list(CLIP_STD)).save_pretrained(str(out))
    (out / "training.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")


def job_record(job: RecognizerTraining) -> dict:
    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(job).items()}


def _clear_gallery(folder: Path, catalog: Catalog) -> None:
    """Remove earlier generated references (``<sku>/<n>.jpg``) before writing new ones."""
    for sku in catalog.sku_ids:
        for old in (folder / sku).glob("[0-9]*.jpg"):
            old.unlink()


def train_recognizer(job: RecognizerTraining, log=print) -> dict:  # noqa: ANN001
    """Render/read scenes, train, build the gallery, tune the rule, save; returns the record."""
    from pipeline.catalog import load_catalog
    from pipeline.lab.shelf_crops import (
        collect_crops,
        rendered_scenes,
        scenes_in_folder,
        write_gallery,
    )
    from pipeline.lab.tokenizer import build_tokenizer

    torch.set_num_threads(job.threads)
    started = time.time()
    catalog = load_catalog()
    start = None
    if job.init:
        model, tokenizer, start = _load_trained(job.init, job)
    else:
        tokenizer = build_tokenizer(catalog)
        model = build_model(len(tokenizer), tokenizer, job)
    source = scenes_in_folder(job.data) if job.data else rendered_scenes(
        catalog, job.seed, job.scenes)
    train = collect_crops(catalog, source, job.image_size, per_group=5, jitter=0.06,
                          seed=job.seed, empty_per_gap=job.empty_per_gap,
                          sign_windows=job.sign_windows, proposals=_proposals(job))
    val = _tuning_crops(catalog, job)
    log(_("crops: {train} for training, {val} for tuning ({seconds}s)").format(
        train=len(train), val=len(val), seconds=f"{time.time() - started:.0f}"))
    if job.epochs:
        job.steps = max(1, int(np.ceil(job.epochs * len(train) / job.batch)))
    fit = train_steps(model, train, catalog, tokenizer, job, log)
    if job.gallery_out:
        _clear_gallery(Path(job.gallery_out), catalog)
        counts = write_gallery(catalog, rendered_scenes(catalog, job.seed + 2, 80),
                               Path(job.gallery_out), job.gallery_per_sku, job.seed + 2)
        log(_("gallery: {n} photos in {folder}").format(n=sum(counts.values()),
                                                        folder=job.gallery_out))
    rule = tune_model(model, tokenizer, catalog, val, job, log, start)
    record = {"job": job_record(job), "fit": fit, "train_crops": len(train),
              "val_crops": len(val), "seconds": round(time.time() - started, 1),
              "catalog_fingerprint": catalog.fingerprint}
    save_model(model, tokenizer, job, record)
    _write_tuning(rule, Path(job.out))
    log(_("wrote {out} in {seconds}s").format(out=job.out,
                                              seconds=f"{time.time() - started:.0f}"))
    return record


def _load_trained(folder: Path, job: RecognizerTraining):  # noqa: ANN202
    """``(model, tokenizer, tuning or None)`` of the trained recognizer in ``folder`` (fp32 on
    the CPU); ``job`` takes the model's shape (image size, width, layers) over its defaults."""
    from pipeline.vision.dual_encoder import load_dual_encoder

    saved = load_dual_encoder(folder, torch.device("cpu"))
    vision = saved.model.config.vision_config
    job.image_size, job.width = int(vision.image_size), int(vision.hidden_size)
    job.layers = int(vision.num_hidden_layers)
    return saved.model.float(), saved.tokenizer, saved.tuning or None


def _proposals(job: RecognizerTraining):  # noqa: ANN202
    """photo -> the product boxes of ``job.detector`` (``None`` without one)."""
    if not job.detector:
        return None
    from pipeline.detections import of_kind
    from pipeline.vision.detector import ShelfDetector

    detector = ShelfDetector.load(job.detector, device="cpu")
    return lambda image: of_kind(detector.detect([image])[0], keys.PRODUCT).xyxy


def _tuning_crops(catalog: Catalog, job: RecognizerTraining) -> CropSet:
    """The tuning crops: every product of ``val_scenes`` scenes of seed ``seed + 1``."""
    from pipeline.lab.shelf_crops import collect_crops, rendered_scenes

    return collect_crops(catalog, rendered_scenes(catalog, job.seed + 1, job.val_scenes),
                         job.image_size, per_group=0, jitter=VAL_JITTER, seed=job.seed + 1,
                         empty_per_gap=min(job.empty_per_gap, 1),
                         sign_windows=min(job.sign_windows, 1))


def tune_model(model, tokenizer, catalog: Catalog, val: CropSet,  # noqa: ANN001
               job: RecognizerTraining, log=print, start: dict | None = None):  # noqa: ANN001, ANN201
    """The naming rule (:class:`pipeline.vision.decide.Rule`) tuned for ``model`` on the
    tuning crops ``val``, with the gallery in ``job.gallery_out`` if any; ``start``: a
    previous tuning (its values win ties)."""
    from pipeline.lab.recognizer_tuning import tune_rule
    from pipeline.vision.crops import CropSpec
    from pipeline.vision.decide import Rule
    from pipeline.vision.dual_encoder import DualEncoder
    from pipeline.vision.gallery import Gallery, embed_references, reference_files
    from pipeline.vision.textbank import TextBank, encode_catalog

    encoder = DualEncoder(model, tokenizer, CropSpec(job.image_size, job.image_size),
                          "training", "", torch.device("cpu"), max_text_tokens=32)
    with torch.inference_mode():
        tensors = encode_catalog(encoder, catalog)
        bank = TextBank(catalog.sku_ids, tensors["sku"], tensors["upright"], tensors["lying"],
                        key="training")
        norm = (val.pixels.float() / 255.0 - torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)) / \
            torch.tensor(CLIP_STD).view(1, 3, 1, 1)
        embeddings = encoder.image_features(norm)
        gallery = Gallery()
        if job.gallery_out:
            from pipeline.imaging import load_photo

            refs = reference_files([job.gallery_out])
            images = [load_photo(f).array() for _, f in refs]
            gallery.skus = [s for s, _ in refs]
            gallery.embeddings = embed_references(encoder, images)
            gallery.aspects = [im.shape[1] / im.shape[0] for im in images]
    rule = Rule.from_tuning(start, encoder.logit_scale) if start else Rule(
        text_scale=encoder.logit_scale, unknown_class=True, empty_class=job.empty_per_gap > 0)
    return tune_rule(rule, catalog, embeddings, val, bank, gallery, log)


def _write_tuning(rule, folder: Path) -> None:  # noqa: ANN001
    from pipeline.lab.recognizer_tuning import tuning_document
    from pipeline.vision.dual_encoder import TUNING_FILE

    (folder / TUNING_FILE).write_text(
        json.dumps(tuning_document(rule), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def retune_recognizer(job: RecognizerTraining, log=print) -> dict:  # noqa: ANN001
    """Tune the naming rule of the trained model in ``job.out`` again, without training: after
    the tuning procedure changed, or to tune on other scenes (``seed``, ``val_scenes``). The
    weights and the gallery stay as they are; only ``shelfaudit_recognizer.json`` is rewritten
    and the run is added to ``training.json``."""
    from pipeline.catalog import load_catalog

    torch.set_num_threads(job.threads)
    started = time.time()
    folder = Path(job.out)
    if not (folder / "config.json").is_file():
        raise ShelfAuditError(_("{folder}: no trained recognizer to tune (no config.json)")
                              .format(folder=folder))
    catalog = load_catalog()
    model, tokenizer, tuning = _load_trained(folder, job)  # its own tokenizer and tuning
    val = _tuning_crops(catalog, job)
    log(_("crops: {val} for tuning ({seconds}s)").format(
        val=len(val), seconds=f"{time.time() - started:.0f}"))
    rule = tune_model(model, tokenizer, catalog, val, job, log, tuning)
    _write_tuning(rule, folder)
    record_file = folder / "training.json"
    record = json.loads(record_file.read_text(encoding="utf-8")) if record_file.is_file() else {}
    record["retuned"] = {"seed": job.seed + 1, "val_scenes": job.val_scenes,
                         "val_crops": len(val), "val_jitter": VAL_JITTER,
                         "seconds": round(time.time() - started, 1)}
    record_file.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    log(_("re-tuned {folder} in {seconds}s").format(folder=folder,
                                                    seconds=f"{time.time() - started:.0f}"))
    return record
