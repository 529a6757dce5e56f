"""`summary` and `code`: an architecture's analysis and its training script."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cnnlab.cli.common import CliError, emit


def add_arch_arguments(p: argparse.ArgumentParser, *, default_dataset: str | None = None) -> None:
    """--arch NAME | --spec FILE.json, --dataset NAME, --option KEY=VALUE: shared by every command taking a model."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--arch", help="a preset: mlp, simple_cnn, lenet5, alexnet, vgg_small, resnet_small, transfer")
    group.add_argument("--spec", metavar="FILE.json", help="a custom architecture spec (JSON, as the Build page saves)")
    p.add_argument("--dataset", default=default_dataset, help="the dataset whose image shape and classes to use")
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a preset option, e.g. flavour=classic (lenet5), variant=scaled (alexnet), base=resnet50 (transfer)",
    )


def _option_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


MAX_SPEC_BYTES = 1_000_000  # a spec of hundreds of layers is a few tens of KB


def spec_from_args(args: argparse.Namespace):
    """The ArchSpec named by --arch/--spec, adapted to --dataset (mnist-sample unless a spec file says otherwise)."""
    from cnnlab.arch.presets import preset
    from cnnlab.arch.spec import ArchSpec, SpecError
    from cnnlab.data.datasets import DEFAULT_DATASET, dataset_info

    dataset = args.dataset
    info = None
    if dataset or not args.spec:
        dataset = dataset or DEFAULT_DATASET
        try:
            info = dataset_info(dataset)
        except KeyError:
            raise CliError(f"unknown dataset {dataset!r}; `python -m cnnlab datasets` lists them") from None
    try:
        if args.spec:
            if args.option:
                raise CliError("--option only applies to presets (--arch), not to --spec files")
            try:
                with open(args.spec, encoding="utf-8") as fh:
                    text = fh.read(MAX_SPEC_BYTES + 1)
            except OSError as exc:
                raise CliError(f"cannot read the spec file {args.spec}: {exc.strerror or exc}") from None
            except UnicodeDecodeError:
                raise CliError(f"the spec file {args.spec} is not text (a spec is JSON)") from None
            if len(text) > MAX_SPEC_BYTES:
                raise CliError(f"the spec file {args.spec} is larger than a spec can be ({MAX_SPEC_BYTES:,} bytes)")
            spec = ArchSpec.from_json(text)
            if info is not None:
                spec = spec.adapted(tuple(info.image_shape), len(info.class_names))
        else:
            options = {}
            for item in args.option:
                key, sep, value = item.partition("=")
                if not sep or not key:
                    raise CliError(f"--option must look like KEY=VALUE, got {item!r}")
                options[key.strip()] = _option_value(value.strip())
            spec = preset(args.arch or "lenet5", tuple(info.image_shape), len(info.class_names), **options)
    except SpecError as exc:
        raise CliError(str(exc)) from None
    return spec, dataset


def _summary_text(result) -> str:
    header = f"{'#':>3}  {'layer':24} {'output':14} {'params':>12} {'MACs':>14} {'RF':>9} {'memory':>10}"
    lines = [f"{result.name}: input {'x'.join(map(str, result.input_shape))}, {result.num_classes} classes", header]
    for r in result.all_rows:
        shape = "x".join(map(str, r.output_shape)) if r.output_shape else "?"
        rf = "x".join(map(str, r.receptive_field)) if r.receptive_field else "-"
        lines.append(
            f"{r.index:>3}  {r.name[:24]:24} {shape:14} {r.params:>12,} {r.macs:>14,} {rf:>9} "
            f"{r.activation_bytes / 1024:>8.1f}KB"
        )
    t = result.totals
    lines.append(
        f"total: {t['params']:,} parameters ({t['trainable_params']:,} trainable), {t['macs']:,} MACs, "
        f"{t['activation_bytes'] / 2**20:.2f} MB of activations per image"
    )
    lines += [f"{i.level}: {i.message}" for i in result.issues]
    return "\n".join(lines)


def cmd_summary(args: argparse.Namespace) -> int:
    from cnnlab.arch.analysis import analyze

    spec, dataset = spec_from_args(args)
    result = analyze(spec)
    if result.errors:
        raise CliError("; ".join(i.message for i in result.errors))
    emit(args, {"arch": spec.name, "dataset": dataset, **result.to_dict()}, _summary_text(result))
    return 0


def add_summary(sub) -> None:
    p = sub.add_parser("summary", help="per-layer output shapes, parameters, MACs and receptive fields (no TensorFlow)")
    add_arch_arguments(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_summary)


def cmd_code(args: argparse.Namespace) -> int:
    from cnnlab.arch.spec import SpecError
    from cnnlab.train.codegen import generate_script

    spec, dataset = spec_from_args(args)
    hyper = {
        "optimizer": args.optimizer,
        "learning_rate": args.learning_rate,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "validation_split": args.validation_split,
    }
    try:
        script = generate_script(spec, dataset or "mnist-sample", args.style, hyper)
    except SpecError as exc:
        raise CliError(str(exc)) from None
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(script)
        print(f"wrote {args.out}")
    else:
        print(script, end="")
    return 0


def add_code(sub) -> None:
    p = sub.add_parser("code", help="print a runnable Keras training script for an architecture")
    add_arch_arguments(p)
    p.add_argument("--style", choices=["sequential", "functional", "subclass"], default="functional")
    p.add_argument("--out", help="write the script to this file instead of printing it")
    p.add_argument("--optimizer", choices=["adam", "sgd", "rmsprop"])
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--validation-split", type=float)
    p.set_defaults(func=cmd_code)
