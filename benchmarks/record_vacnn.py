"""Record finished ``reproduce_vacnn.py`` runs in ``docs/results/vacnn_reproduction.json``.

Each cross-validated run of a results file (target x protocol x variant)
becomes one record: WA and UA (mean and standard deviation over folds, and
per fold), the pooled per-emotion table and confusion matrix, the source
corpora of the pretraining (with its validation accuracy), image size,
recipe, seed, the commands that made it, the machine and the date. A record
replaces an earlier one with the same target, protocol, variant, source,
image size, recipe and seed; others are kept, so the file collects the
current figures of every setting run so far.

The tables of ``docs/vacnn_reproduction.md`` between the markers
``<!-- vacnn-table:start -->`` and ``<!-- vacnn-table:end -->`` are rewritten
from the records.

Example::

    python benchmarks/record_vacnn.py results/tessravdess/vacnn_128.json
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "docs" / "results" / "vacnn_reproduction.json"
PAGE = ROOT / "docs" / "vacnn_reproduction.md"
START, END = "<!-- vacnn-table:start -->", "<!-- vacnn-table:end -->"
RECIPE_KEYS = ("epochs", "patience", "lr", "lr_step", "augment", "pretrain_epochs",
               "pretrain_lr_step", "pretrain_patience", "n_words", "refit_full", "folds")


def _settings_for(results, key):
    """The settings of the last command whose targets/variants/protocols cover ``key``."""
    target, protocol, variant = key.split("/")
    for settings in reversed(results["settings"]):
        if (target in settings["targets"].split(",")
                and protocol in settings["protocols"].split(",")
                and variant in settings["variants"].split(",")):
            return settings
    return results["settings"][-1]


def _pretraining_for(results, settings, variant):
    if not variant.startswith("finetuned"):
        return None
    attention = "cbam" if variant.endswith("cbam") else "va"
    tag = f"{settings['source'].replace('+', '-')}_{attention}"
    info = results.get("pretraining", {}).get(tag)
    if info is None:
        return {"corpora": settings["source"].split("+"), "attention": attention}
    return {"corpora": settings["source"].split("+"), "attention": attention,
            "n_items": info["n_items"], "classes": info["classes"],
            "best_valid_acc": info["best_valid_acc"], "epochs_run": info["epochs_run"],
            "train_seconds": info["train_seconds"]}


def records_of(results, date):
    """One record per summarised run of a ``reproduce_vacnn.py`` results file."""
    out = []
    for key, run in results["runs"].items():
        summary = run.get("summary")
        if not summary:
            continue
        settings = _settings_for(results, key)
        variant = run["variant"]
        pretraining = _pretraining_for(results, settings, variant)
        source = None if pretraining is None else "+".join(pretraining["corpora"])
        leak = bool(source) and run["target"] in source.split("+")
        folds = sorted(run["folds"], key=lambda f: f["fold"])
        pooled = summary["pooled"]
        out.append({
            "target": run["target"], "protocol": run["protocol"], "variant": variant,
            "source": source, "leak": leak,
            "image_size": settings["image_size"], "seed": settings["seed"],
            "recipe": {k: settings.get(k) for k in RECIPE_KEYS},
            "n_folds": summary["n_folds"],
            "wa_mean": 100 * summary["accuracy_mean"], "wa_std": 100 * summary["accuracy_std"],
            "ua_mean": 100 * summary["ua_mean"], "ua_std": 100 * summary["ua_std"],
            "pooled_wa": 100 * pooled["weighted_accuracy"],
            "pooled_ua": 100 * pooled["unweighted_accuracy"],
            "paper_wa": run.get("paper_accuracy") if run["protocol"] == "stratified" else None,
            "folds": [{"fold": f["fold"], "wa": 100 * f["accuracy"],
                       "ua": 100 * f["unweighted_accuracy"], "epochs_run": f["epochs_run"],
                       "best_valid_acc": f["best_valid_acc"], "fit_seconds": f["fit_seconds"]}
                      for f in folds],
            "per_class": {label: {"precision": pooled["precision"][i],
                                  "recall": pooled["recall"][i], "f1": pooled["f1"][i],
                                  "support": pooled["support"][i]}
                          for i, label in enumerate(pooled["labels"])},
            "confusion_matrix": {"labels": pooled["labels"],
                                 "rows_true_columns_predicted": pooled["confusion_matrix"]},
            "pretraining": pretraining,
            "commands": results["commands"],
            "machine": results["machine"],
            "date": date,
        })
    return out


def _identity(record):
    return json.dumps([record[k] for k in ("target", "protocol", "variant", "source",
                                           "image_size", "seed")] + [record["recipe"]],
                      sort_keys=True)


def merge(existing, new):
    """``existing`` records with those of ``new`` replacing the same settings."""
    replaced = {_identity(r) for r in new}
    kept = [r for r in existing if _identity(r) not in replaced]
    order = {"emodb": 0, "ravdess": 1}
    variants = {"pure": 0, "finetuned": 1, "finetuned-cbam": 2, "vacnn": 3}
    return sorted(kept + new, key=lambda r: (order.get(r["target"], 9), r["target"],
                                             r["protocol"] != "stratified",
                                             variants.get(r["variant"], 9),
                                             r["source"] or "", r["image_size"], r["seed"]))


def table(records):
    """The Markdown tables of the docs page."""
    lines = ["| target | protocol | variant | pretraining source | size | seed | folds | "
             "WA % (mean ± sd) | UA % (mean ± sd) | paper WA % |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        source = r["source"] or "—"
        if r["leak"]:
            source += " (**leaks**: pretraining saw the test folds)"
        paper = "" if r["paper_wa"] is None else f"{r['paper_wa']:.2f}"
        lines.append(
            f"| {r['target']} | {r['protocol']} | {r['variant']} | {source} | "
            f"{r['image_size']} | {r['seed']} | {r['n_folds']} | "
            f"{r['wa_mean']:.2f} ± {r['wa_std']:.2f} | {r['ua_mean']:.2f} ± {r['ua_std']:.2f} | "
            f"{paper} |")
    pretrainings = {}
    for r in records:
        p = r["pretraining"]
        if p and "best_valid_acc" in p:
            pretrainings[(r["source"], p["attention"], r["image_size"])] = p
    if pretrainings:
        lines += ["", "Pretraining (validation: a stratified 20 % of the source items, held "
                  "out from training):", "",
                  "| source | attention | size | items | classes | validation accuracy % | "
                  "epochs | train time (s) |", "|---|---|---|---|---|---|---|---|"]
        for (source, attention, size), p in pretrainings.items():
            lines.append(f"| {source} | {attention} | {size} | {p['n_items']} | "
                         f"{len(p['classes'])} | {100 * p['best_valid_acc']:.2f} | "
                         f"{p['epochs_run']} | {p['train_seconds']:.0f} |")
    for r in records:
        labels = r["confusion_matrix"]["labels"]
        lines += ["", f"**{r['target']}, {r['protocol']}, {r['variant']}"
                  + (f", source {r['source']}" if r["source"] else "")
                  + f", {r['image_size']}x{r['image_size']}, seed {r['seed']}** — per fold WA: "
                  + ", ".join(f"{f['wa']:.2f}" for f in r["folds"]), "",
                  "| emotion | precision | recall | F1 | support | "
                  + " | ".join(label[:4] for label in labels) + " |",
                  "|---" * (5 + len(labels)) + "|"]
        matrix = r["confusion_matrix"]["rows_true_columns_predicted"]
        for label, row in zip(labels, matrix):
            c = r["per_class"][label]
            lines.append(f"| {label} | {c['precision']:.2f} | {c['recall']:.2f} | "
                         f"{c['f1']:.2f} | {c['support']} | " + " | ".join(map(str, row)) + " |")
    return "\n".join(lines)


def rewrite_page(page, records):
    text = page.read_text()
    if START not in text or END not in text:
        raise ValueError(f"{page} has no {START} ... {END} block to rewrite; add the two "
                         "markers where the tables go")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    page.write_text(f"{head}{START}\n{table(records)}\n{END}{tail}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("results", nargs="+", help="results files of reproduce_vacnn.py")
    p.add_argument("--record", default=str(RECORD))
    p.add_argument("--page", default=str(PAGE))
    p.add_argument("--date", default=time.strftime("%Y-%m-%d"))
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    record_path = Path(args.record)
    existing = json.loads(record_path.read_text())["records"] if record_path.exists() else []
    new = []
    for path in args.results:
        new += records_of(json.loads(Path(path).read_text()), args.date)
    records = merge(existing, new)
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps({
        "description": "VACNN + BOVW (Seo & Kim 2020), Table 3 settings: one record per target "
                       "x protocol x variant x pretraining source x image size x seed; "
                       "WA/UA in %. Written by benchmarks/record_vacnn.py.",
        "records": records}, indent=1) + "\n")
    if args.page:
        rewrite_page(Path(args.page), records)
    print(table(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
