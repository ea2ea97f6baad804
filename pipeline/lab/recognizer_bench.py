"""``shelfaudit bench``: how fast recognition names the products of shelf photos.

On synthetic shelf photos with ~150 products each (ground-truth boxes, so only recognition is
measured), in one run and with the same weights:

(a) **naive** — a loop as tutorials write it: one photo at a time, the catalog prompts
    re-encoded for every photo, each box cropped with PIL, the Hugging Face image processor
    called per crop, a batch-1 fp32 forward per crop (then the same naming rule);
(b) **optimized** — ``Recognizer.recognize`` on all photos at once: one tensor per photo, all
    crops cut as tensor slices and preprocessed by one image-processor call per photo,
    near-identical facings classified once
    (verified), text embeddings cached, int8 image tower on CPU for ViT-B-size models (fp16 on
    CUDA);
(c) **model-only** — the same (optimized) image tower on pre-made input tensors, the ceiling
    for (b); end-to-end crops/s is reported as a share of it, with and without facing grouping;
(d) **re-inspection** — the same camera views inspected again: crops whose thumbnail did not
    change at the same position reuse their labels.

Run with the starter recognizer and with a ViT-B/32-size CLIP whose transformer weights are
*random*: the cost of a forward pass does not depend on the weights. Its label margins would be
near zero with random weights throughout (any rounding flips a label, so agreement would mean
nothing), so its projection head — one 768 x 512 matrix — is first fitted on crops of other
synthetic scenes to the catalog's text embeddings (:func:`fit_head`): the labels then have
margins well above zero (though far below a trained CLIP's), and the int8 tower's close calls
are re-checked in fp32 as in production. ``head="random"`` skips the fit.
"""

from __future__ import annotations

import os
import platform
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.detections import make_detections, of_kind
from pipeline.i18n import _


class PeakMemory:
    """Peak resident memory above the start (sampled every 5 ms). Not tracemalloc: tracing
    every Python allocation slows Python-heavy code far more than the model's C++ kernels, and
    would skew the end-to-end vs model-only comparison."""

    def __enter__(self) -> PeakMemory:
        import psutil

        self._proc = psutil.Process()
        self.base = self._proc.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)

    @property
    def mb(self) -> dict[str, float]:
        return {"rss_peak_mb": round((self.peak - self.base) / 1e6, 1)}


def bench_photos(catalog: Catalog, count: int, width: int, target: int = 150,
                 seed: int = 424242) -> list[tuple[np.ndarray, Any]]:
    """``count`` synthetic photos with about ``target`` products each, and their product boxes."""
    from pipeline.synth import render_scene

    out = []
    for i in range(count * 40):
        scene = render_scene(catalog, seed + i, width=width)
        products = of_kind(scene.truth.detections, keys.PRODUCT)
        if abs(len(products) - target) <= target * 0.2 or (i >= count * 30 and len(products)):
            out.append((np.asarray(scene.image), make_detections(products.xyxy.tolist())))
        if len(out) == count:
            break
    return out


def naive_labels(recognizer: Any, model: Any, processor: Any, photos: list
                 ) -> tuple[list[np.ndarray], float]:
    """(a) The tutorial loop. Returns the SKU index per crop per photo (-1 = unknown) and the
    seconds spent re-encoding the prompts."""
    from PIL import Image

    from pipeline.vision.textbank import TextBank, encode_catalog

    encoder = recognizer.encoder
    naive = type(encoder)(model, encoder.tokenizer, encoder.spec, encoder.version, "",
                          torch.device("cpu"), text_padding=encoder.text_padding,
                          max_text_tokens=encoder.max_text_tokens)
    out, text_s = [], 0.0
    for image, det in photos:
        start = time.perf_counter()
        tensors = encode_catalog(naive, recognizer.catalog, recognizer.languages)  # every photo
        text_s += time.perf_counter() - start
        bank = TextBank(recognizer.catalog.sku_ids, tensors["sku"], tensors["upright"],
                        tensors["lying"], key="naive")
        pil = Image.fromarray(image)
        embeddings, aspects = [], []
        for x1, y1, x2, y2 in det.xyxy:
            crop = pil.crop((float(x1), float(y1), float(x2), float(y2)))
            inputs = processor(images=crop, return_tensors="pt")
            with torch.inference_mode():
                embeddings.append(naive.image_features(inputs["pixel_values"]))
            aspects.append((x2 - x1) / max(y2 - y1, 1e-3))
        from pipeline.vision.decide import decide, facing_context, upright_aspects

        labels = decide(recognizer.rule, torch.cat(embeddings), np.array(aspects), bank,
                        recognizer.gallery, upright_aspects(recognizer.rule, recognizer.catalog,
                                                            recognizer.gallery))
        out.append(facing_context(recognizer.rule, labels, det.xyxy).sku_index)  # same rule
    return out, text_s


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, dict[str, float]]:
    """Result, wall seconds, and peak memory + CPU seconds of this process (the CPU time is
    what the work cost even when other programs share the machine)."""
    with PeakMemory() as mem:
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
    return result, seconds, {**mem.mb, "cpu_seconds": round(cpu, 3)}


def _rates(seconds: float, photos: int, crops: int) -> dict[str, float]:
    return {"seconds": round(seconds, 3), "photos_per_s": round(photos / seconds, 3),
            "crops_per_s": round(crops / seconds, 1)}


def _indices(catalog: Catalog, detections: list) -> np.ndarray:
    from pipeline.vision.decide import EMPTY_INDEX

    column = {s: i for i, s in enumerate(catalog.sku_ids)} | {keys.EMPTY: EMPTY_INDEX}
    return np.concatenate([np.array([column.get(s, -1) for s in d.data[keys.SKU]], dtype=int)
                           for d in detections])


def _agree(a: np.ndarray, b: np.ndarray) -> float:
    return round(float(np.mean(a == b)), 4) if len(a) else 1.0


def measure(recognizer: Any, naive_model: Any, processor: Any, photos: list,
            log: Callable[[str], None]) -> dict[str, Any]:
    """(a)-(d) for one recognizer on ``photos`` (see the module docstring)."""
    from pipeline.vision.crops import cut_crops

    images = [im for im, _ in photos]
    dets = [d for _, d in photos]
    crops, n = sum(len(d) for d in dets), len(images)
    catalog = recognizer.catalog
    from pipeline.vision.textbank import encode_catalog

    start = time.perf_counter()  # what the cache saves: one encoding of the catalog's prompts
    encode_catalog(recognizer.encoder, catalog, recognizer.languages)
    text_s = time.perf_counter() - start
    recognizer.text  # noqa: B018 - computed once (or read from the disk cache), then in memory
    recognizer.recognize(images[:1], [dets[0][:4]])  # warm-up
    log("  " + _("(a) naive loop ..."))
    naive, t_naive, mem_naive = _timed(lambda: naive_labels(recognizer, naive_model, processor,
                                                            photos))
    naive, naive_text_s = naive
    naive = np.concatenate(naive)
    log("  " + _("(b) optimized pipeline ..."))
    best, t_best, mem_best = _timed(lambda: recognizer.recognize(images, dets, keep_empty=True))
    work = dict(recognizer.stats)
    tolerance, recognizer.facing_tolerance = recognizer.facing_tolerance, 0.0
    plain, t_plain, mem_plain = _timed(lambda: recognizer.recognize(images, dets, keep_empty=True))
    plain_rechecked = recognizer.stats.get("rechecked", 0)
    recognizer.facing_tolerance = tolerance
    log("  " + _("(c) model-only forward ..."))
    enc = recognizer.encoder
    pixels = cut_crops(images, [d.xyxy for d in dets], enc.spec, enc.device, enc.dtype).pixels
    _out, t_model, mem_model = _timed(lambda: enc.image_features(pixels))
    # the forward passes the no-grouping run made: every crop once, plus the fp32 re-checks
    t_recheck, cpu_recheck = 0.0, 0.0
    if plain_rechecked and recognizer.recheck is not None:
        _out, t_recheck, mem_recheck = _timed(
            lambda: recognizer.recheck.image_features(pixels[:plain_rechecked]))
        cpu_recheck = mem_recheck["cpu_seconds"]
    log("  " + _("(d) re-inspection ..."))
    cams = [f"bench-camera-{i}" for i in range(n)]
    (first, memory), t_first, _mem = _timed(lambda: recognizer.recognize_with_memory(
        images, dets, cams, keep_empty=True))
    rng = np.random.default_rng(0)  # a new shot of the same shelf: fresh sensor noise
    again_images = [np.clip(im + rng.normal(0, 2.0, im.shape), 0, 255).astype(np.uint8)
                    for im in images]
    (again, _memory), t_again, _mem = _timed(lambda: recognizer.recognize_with_memory(
        again_images, dets, cams, memory, keep_empty=True))
    reused = recognizer.stats.get("reused", 0)
    best_idx, plain_idx = _indices(catalog, best), _indices(catalog, plain)
    return {
        "photos": n, "crops": crops, "text_encoding_once_s": round(text_s, 3),
        "naive": {**_rates(t_naive, n, crops), **mem_naive,
                  "text_reencoding_s": round(naive_text_s, 3)},
        "naive_without_text": _rates(t_naive - naive_text_s, n, crops),
        "speedup_vs_naive_without_text": round((t_naive - naive_text_s) / t_best, 2),
        "optimized": {**_rates(t_best, n, crops), **mem_best, "work": work},
        "speedup": round(t_naive / t_best, 2),
        "speedup_cpu_time": round(mem_naive["cpu_seconds"] / max(mem_best["cpu_seconds"], 1e-6),
                                  2),
        "agreement_with_naive_fp32": _agree(best_idx, naive),
        "agreement_without_grouping": _agree(plain_idx, naive),
        "model_only": _rates(t_model, n, crops),
        "optimized_no_grouping": {**_rates(t_plain, n, crops), **mem_plain},
        "speedup_no_grouping": round(t_naive / t_plain, 2),
        "speedup_no_grouping_cpu_time": round(
            mem_naive["cpu_seconds"] / max(mem_plain["cpu_seconds"], 1e-6), 2),
        "e2e_share_of_model_only": round(t_model / t_best, 3),
        "e2e_share_of_model_only_no_grouping": round(t_model / t_plain, 3),
        "e2e_share_of_model_only_no_grouping_cpu_time": round(
            mem_model["cpu_seconds"] / max(mem_plain["cpu_seconds"], 1e-6), 3),
        "rechecked_no_grouping": plain_rechecked,
        "e2e_share_of_model_work_no_grouping": round((t_model + t_recheck) / t_plain, 3),
        "e2e_share_of_model_work_no_grouping_cpu_time": round(
            (mem_model["cpu_seconds"] + cpu_recheck) / max(mem_plain["cpu_seconds"], 1e-6), 3),
        "first_inspection": _rates(t_first, n, crops),
        "re_inspection": {**_rates(t_again, n, crops), "reused_crops": reused},
        "re_inspection_speedup": round(t_first / t_again, 1),
        "re_inspection_agreement": _agree(_indices(catalog, again), _indices(catalog, first)),
        "precision": str(enc.dtype) + (" + int8 image tower" if _is_int8(enc) else ""),
    }


def _is_int8(encoder: Any) -> bool:
    vision = getattr(encoder.model, "vision_model", None)
    return vision is not None and any("quantized" in type(m).__module__ for m in vision.modules())


def starter_recognizer(catalog: Catalog) -> tuple[Any, Any, Any, str]:
    """The committed starter recognizer (or, if missing, a tiny random stand-in)."""
    from transformers import AutoImageProcessor

    from pipeline.settings import STARTER_MODELS_DIR
    from pipeline.vision.recognizer import Recognizer

    folder = STARTER_MODELS_DIR / "recognizer"
    if (folder / "config.json").is_file():
        recognizer = Recognizer.load(folder, catalog, device="cpu")
        processor = AutoImageProcessor.from_pretrained(folder, local_files_only=True)
        return recognizer, recognizer.encoder.model, processor, "starter recognizer (trained)"
    return random_clip(catalog, "tiny")[:3] + ("tiny CLIP, random weights (no starter found)",)


def random_clip(catalog: Catalog, size: str, head: str = "random",
                log: Callable[[str], None] = print) -> tuple[Any, Any, Any, float | None]:
    """A CLIP with random weights: ``vit-b32`` (ViT-B/32 image tower, CLIP text tower) or
    ``tiny``; ``head="fitted"``: its projection head fitted first (:func:`fit_head`). Returns
    the recognizer (for ViT-B/32 on CPU: int8 image tower, close calls re-checked by the fp32
    twin when the head is fitted), the fp32 model, the Hugging Face image processor and the
    fitted head's held-out accuracy (``None``: random head)."""
    import copy

    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    from pipeline.lab.tokenizer import build_tokenizer
    from pipeline.vision.crops import CropSpec
    from pipeline.vision.dual_encoder import DualEncoder, quantize_image_tower
    from pipeline.vision.recognizer import INT8_MIN_PARAMS, Recognizer, _image_params
    from pipeline.vision.textbank import text_bank

    torch.manual_seed(0)
    tokenizer = build_tokenizer(catalog)
    if size == "vit-b32":
        config, image = CLIPConfig(), 224  # the defaults are openai/clip-vit-base-patch32's
        processor = CLIPImageProcessor()
    else:
        config = CLIPConfig(
            text_config=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                             num_attention_heads=2, max_position_embeddings=32),
            vision_config=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                               num_attention_heads=2, image_size=64, patch_size=8),
            projection_dim=64)
        image = 64
        processor = CLIPImageProcessor(size={"height": 64, "width": 64}, do_center_crop=False)
    config.text_config.eos_token_id = tokenizer.eos_token_id
    config.text_config.vocab_size = max(config.text_config.vocab_size, len(tokenizer))
    model = CLIPModel(config).eval()
    spec = CropSpec.from_processor(processor, image)
    encoder = DualEncoder(model, tokenizer, spec, f"clip-{size}-random", "", torch.device("cpu"),
                          max_text_tokens=config.text_config.max_position_embeddings)
    accuracy = None
    if head == "fitted":
        accuracy = fit_head(model, text_bank(encoder, catalog), catalog, spec, log=log)
    encoder = DualEncoder(copy.deepcopy(model), tokenizer, spec, f"clip-{size}-{head}-head", "",
                          torch.device("cpu"),
                          max_text_tokens=config.text_config.max_position_embeddings)
    twin = quantize_image_tower(encoder) if _image_params(encoder) >= INT8_MIN_PARAMS else None
    recognizer = Recognizer(encoder, catalog)
    # With a random head every margin is below the int8 error, so a re-check would embed every
    # crop twice: it runs only with a fitted head (as it does for any trained model).
    recognizer.recheck = twin if head == "fitted" else None
    recognizer.rule.min_score = 0.0  # name every crop (argmax), no open set
    return recognizer, model, processor, accuracy


def fit_head(model: Any, bank: Any, catalog: Catalog, spec: Any, scenes: int = 60,
             seed: int = 9000, steps: int = 1500, log: Callable[[str], None] = print,
             per_group: int = 6) -> float:
    """Fit the image projection of ``model`` (in place) so crops of ``scenes`` synthetic
    photos (other seeds than the bench photos) land on their SKU's text embedding; the rest
    of the model keeps its weights. Returns the accuracy on a fifth of the crops held out."""
    from pipeline.lab.shelf_crops import _choose, truth_labels
    from pipeline.synth import render_scene
    from pipeline.vision.crops import cut_crops

    rng = np.random.default_rng(seed)
    features, labels = [], []
    log("  " + _("fitting the projection head on crops of {n} other scenes ...").format(
        n=scenes))
    for i in range(scenes):
        scene = render_scene(catalog, seed + i, width=1280)
        products = of_kind(scene.truth.detections, keys.PRODUCT)
        index, lying = truth_labels(catalog, products)
        pick = _choose(index, lying, per_group, rng)
        pick = pick[index[pick] < len(catalog.skus)]
        x = cut_crops([np.asarray(scene.image)], [products.xyxy[pick]], spec).pixels
        with torch.inference_mode():  # the frozen tower's output, once per crop
            features += [model.vision_model(pixel_values=x[j:j + 64]).pooler_output
                         for j in range(0, len(x), 64)]
        labels.append(index[pick])
    feats, y = torch.cat(features), torch.from_numpy(np.concatenate(labels))
    text = bank.sku[:len(catalog.skus)].float()
    order = torch.randperm(len(feats), generator=torch.Generator().manual_seed(seed))
    train, held = order[: len(order) * 4 // 5], order[len(order) * 4 // 5:]
    weight = torch.nn.Parameter(model.visual_projection.weight.detach().clone())
    opt = torch.optim.Adam([weight], lr=3e-3)

    def logits(rows: torch.Tensor) -> torch.Tensor:
        return 100.0 * torch.nn.functional.normalize(feats[rows] @ weight.T, dim=-1) @ text.T

    for _step in range(steps):
        loss = torch.nn.functional.cross_entropy(logits(train), y[train])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        model.visual_projection.weight.copy_(weight)
        return float((logits(held).argmax(1) == y[held]).float().mean())


def run_bench(quick: bool = False, photos: int | None = None, big: bool = True,
              threads: int | None = None, log: Callable[[str], None] = print,
              head: str = "fitted") -> dict[str, Any]:
    """Measure (a)-(d) for the starter recognizer and (unless ``quick``) a ViT-B/32-size CLIP.

    ``threads``: torch CPU threads (default: torch's choice; ``--quick`` uses 1); ``head``:
    the ViT-B/32's projection head, ``fitted`` or ``random`` (see the module docstring).
    """
    from pipeline.catalog import load_catalog

    previous = torch.get_num_threads()
    torch.set_num_threads(threads or (1 if quick else previous))
    try:
        return _run(load_catalog(), quick, photos, big and not quick, log, head)
    finally:
        torch.set_num_threads(previous)


def _run(catalog: Catalog, quick: bool, photos: int | None, big: bool,
         log: Callable[[str], None], head: str = "fitted") -> dict[str, Any]:
    count = photos or (1 if quick else 3)
    log(_("rendering {n} synthetic shelf photo(s) with ~150 products ...").format(n=count))
    shots = bench_photos(catalog, count, width=960 if quick else 1920)
    report: dict[str, Any] = {
        "machine": {"cpu": platform.processor() or platform.machine(),
                    "threads": torch.get_num_threads(),
                    "cuda": torch.cuda.is_available(),
                    "load_average": [round(v, 2) for v in os.getloadavg()]},
        "boxes": "ground-truth product boxes (recognition only, no detector)",
        "models": {},
    }
    recognizer, fp32_model, processor, name = starter_recognizer(catalog)
    log(f"{name}:")
    report["models"]["starter"] = {"name": name, **measure(recognizer, fp32_model, processor,
                                                             shots, log)}
    if big:
        name = ("ViT-B/32-size CLIP, random transformer weights (cost does not depend on "
                f"weights), {head} projection head")
        log(f"{name}:")
        recognizer, fp32_model, processor, accuracy = random_clip(catalog, "vit-b32", head,
                                                                 log=log)
        report["models"]["vit_b32"] = {
            "name": name, "head": head, "head_heldout_accuracy": accuracy,
            **measure(recognizer, fp32_model, processor, shots, log)}
    return report


def format_report(report: dict[str, Any]) -> str:
    """The human-readable table of :func:`run_bench`."""
    m = report["machine"]
    lines = [f"shelfaudit bench — {m['threads']} CPU thread(s), cuda={m['cuda']}, "
             f"load average {m['load_average']}; {report['boxes']}"]
    for key, r in report["models"].items():
        w = r["optimized"]["work"]
        lines += [
            "",
            f"[{key}] {r['name']} — {r['photos']} photos, {r['crops']} crops, {r['precision']}",
            f"  (a) naive loop     {r['naive']['photos_per_s']:8.3f} photos/s "
            f"{r['naive']['crops_per_s']:8.1f} crops/s  peak +{r['naive']['rss_peak_mb']} MB RSS",
            f"  (b) optimized      {r['optimized']['photos_per_s']:8.3f} photos/s "
            f"{r['optimized']['crops_per_s']:8.1f} crops/s  peak +{r['optimized']['rss_peak_mb']}"
            f" MB RSS",
            f"      naive spent {r['naive']['text_reencoding_s']:.2f} s re-encoding prompts; "
            f"without that: {r['naive_without_text']['crops_per_s']:.1f} crops/s",
            f"      speedup {r['speedup']}x wall, {r['speedup_cpu_time']}x CPU time "
            f"({r['speedup_vs_naive_without_text']}x against the naive loop without its prompt "
            f"re-encoding); without facing grouping {r['speedup_no_grouping']}x wall, "
            f"{r['speedup_no_grouping_cpu_time']}x CPU time; SKU labels agree with naive fp32 on "
            f"{100 * r['agreement_with_naive_fp32']:.1f}% of crops "
            f"({100 * r['agreement_without_grouping']:.1f}% without facing grouping); "
            f"classified {w['classified']}, grouped {w['grouped']} of {w['crops']}"
            + (f", {w['rechecked']} close calls re-checked in fp32" if w.get("rechecked") else ""),
            f"  (c) model-only     {r['model_only']['crops_per_s']:8.1f} crops/s; end-to-end = "
            f"{100 * r['e2e_share_of_model_only']:.0f}% of it "
            f"({100 * r['e2e_share_of_model_only_no_grouping']:.0f}% without facing grouping, "
            f"{r['optimized_no_grouping']['crops_per_s']:.1f} crops/s; by CPU time "
            f"{100 * r['e2e_share_of_model_only_no_grouping_cpu_time']:.0f}%)"
            + (f"; counting the {r['rechecked_no_grouping']} fp32 re-checks as model work too: "
               f"{100 * r['e2e_share_of_model_work_no_grouping']:.0f}% "
               f"({100 * r['e2e_share_of_model_work_no_grouping_cpu_time']:.0f}% by CPU time)"
               if r.get("rechecked_no_grouping") else ""),
            f"  (d) re-inspection  first {r['first_inspection']['seconds']:.3f} s, unchanged "
            f"again {r['re_inspection']['seconds']:.3f} s -> {r['re_inspection_speedup']}x "
            f"({r['re_inspection']['reused_crops']} crops reused, labels agree "
            f"{100 * r['re_inspection_agreement']:.1f}%)",
            f"  text embeddings: one encoding of the catalog prompts takes "
            f"{r['text_encoding_once_s']:.2f} s; done once per model and catalog, then cached",
        ]
    vit = report["models"].get("vit_b32")
    if vit and vit.get("head") == "fitted":
        lines += ["", "Note: the ViT-B/32's transformer weights are random (the cost of a forward "
                  "pass does not depend on the weights); its projection head was fitted on crops "
                  "of other synthetic scenes (held-out accuracy "
                  f"{100 * vit['head_heldout_accuracy']:.1f}%) so that its labels have margins "
                  "above zero and the agreement means something (they stay far less decisive "
                  "than a trained CLIP's, which makes facing grouping's shared labels fragile)."]
    elif vit:
        lines += ["", "Note: the ViT-B/32 figures use random weights throughout — the cost of a "
                  "forward pass does not depend on the weights, but label margins are near zero, "
                  "so its label agreement is not meaningful (use --head fitted)."]
    return "\n".join(lines)
