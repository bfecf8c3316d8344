"""The ``chatqa`` command line (heavy modules are imported inside the commands)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, NoReturn

import click

EXIT_OK, EXIT_FAILED_CHECK, EXIT_USAGE, EXIT_PARSE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
OUTPUT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".txt": "table"}


def _pairs(values: Iterable[str], option: str) -> dict[str, str]:
    """Parse ``a=b,c=d`` (repeatable) into a dict."""
    out: dict[str, str] = {}
    for value in values:
        for item in filter(None, (p.strip() for p in value.split(","))):
            key, sep, val = item.partition("=")
            if not sep or not key.strip() or not val.strip():
                raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=option)
            out[key.strip()] = val.strip()
    return out


def _parse_options(map_: tuple[str, ...], role_map: tuple[str, ...], bots: tuple[str, ...], timezone: str | None,
                   time_format: str | None) -> Any:
    from pydantic import ValidationError

    from .parsers import ParseOptions
    from .parsers.csvmap import FIELDS

    columns = _pairs(map_, "--map")
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise click.BadParameter(f"unknown field(s) {', '.join(unknown)}; fields: {', '.join(FIELDS)}",
                                 param_hint="--map")
    roles = _pairs(role_map, "--role-map")
    try:
        return ParseOptions(
            columns=columns, roles=roles, time_format=time_format, timezone=timezone or "UTC",
            bot_ids=frozenset(b.strip() for v in bots for b in v.split(",") if b.strip()),
        )
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = {"roles": "--role-map", "timezone": "--timezone"}.get(str(err["loc"][0]), "option")
        raise click.BadParameter(err["msg"].removeprefix("Value error, "), param_hint=where) from None


def _input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that reads exports."""
    for option in reversed([
        click.option("--vendor", default="auto", show_default=True, metavar="auto|NAME",
                     help="Input format; `auto` detects it per file (see `chatqa formats`)."),
        click.option("--map", "map_", multiple=True, metavar="FIELD=COLUMN,...",
                     help="CSV column mapping, e.g. conversation=ticket_id,role=sender_type,time=created,"
                          "text=body,author=agent_name."),
        click.option("--role-map", multiple=True, metavar="VALUE=ROLE,...",
                     help="CSV role values, e.g. Staff=agent,Visitor=customer,Bot=bot."),
        click.option("--time-format", metavar="STRPTIME", help="CSV time format, e.g. '%d/%m/%Y %H:%M'."),
        click.option("--timezone", metavar="ZONE", help="Zone of naive times (default UTC), e.g. Europe/Berlin."),
        click.option("--bots", multiple=True, metavar="ID,...", help="Author ids to treat as bots."),
        click.option("--errors", "errors_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="Also write parse failures to this file as JSONL."),
    ]):
        func = option(func)
    return func


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"chatqa: error: {message}", err=True)
    sys.exit(code)


def _check_output_path(output: Path | None, paths: Iterable[str]) -> None:
    """Refuse an output file that is one of the inputs."""
    if output is None:
        return
    target = os.path.realpath(output)
    for given in paths:
        real = os.path.realpath(given)
        if target == real or (os.path.isdir(real) and target.startswith(real + os.sep) and output.exists()):
            _fail(f"-o {output}: refusing to overwrite an input file")


class _Cli(click.Group):
    """Turn unexpected errors into one line and Ctrl-C into exit 130."""

    def invoke(self, ctx: click.Context) -> Any:
        from .errors import ChatqaError

        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("chatqa: interrupted; no output was written", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except ChatqaError as exc:
            _fail(str(exc))
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(EXIT_OK)
        except Exception as exc:
            if os.environ.get("CHATQA_DEBUG"):
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (set CHATQA_DEBUG=1 for a traceback)",
                  EXIT_INTERNAL)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chatqa")
def main() -> None:
    """Audit customer-support chat transcripts exported from chat vendors.

    Start with `chatqa check PATH...` (files or folders; gzip is read transparently).
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_input_options
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "json", "csv"]),
              help="Output format (default: table on a terminal, else from -o's suffix, else jsonl).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (atomically).")
def check(paths: tuple[str, ...], vendor: str, map_: tuple[str, ...], role_map: tuple[str, ...],
          time_format: str | None, timezone: str | None, bots: tuple[str, ...], errors_file: Path | None,
          fmt: str | None, output: Path | None) -> None:
    """Check transcripts: metrics, findings and a score per conversation.

    Exit codes: 0 fine, 1 --fail-under/--fail-on triggered, 2 usage or config error,
    3 some inputs could not be parsed (everything else was still processed).
    """
    from .engine import Engine

    options = _parse_options(map_, role_map, bots, timezone, time_format)
    _check_output_path(output, paths)
    fmt = fmt or _default_format(output)
    loader = _loader(paths, vendor, options)
    engine = Engine()
    with _output(output) as stream:
        writer = _writer(fmt, stream, output)
        for result in engine.run(_reporting(loader)):
            writer.write(result)
        writer.close(_summary(loader))
    _finish(loader, errors_file)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_input_options
@click.option("--format", "fmt", type=click.Choice(["chatqa"]), default="chatqa", show_default=True,
              help="Export format: chatqa's neutral JSONL.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (atomically).")
@click.option("--no-redact", is_flag=True, help="Keep emails and phone numbers (card numbers are always masked).")
def export(paths: tuple[str, ...], vendor: str, map_: tuple[str, ...], role_map: tuple[str, ...],
           time_format: str | None, timezone: str | None, bots: tuple[str, ...], errors_file: Path | None,
           fmt: str, output: Path | None, no_redact: bool) -> None:
    """Convert exports to chatqa's neutral JSONL, redacted so it is safe to share."""
    import orjson

    from .parsers.neutral import to_neutral

    options = _parse_options(map_, role_map, bots, timezone, time_format)
    _check_output_path(output, paths)
    loader = _loader(paths, vendor, options)
    with _output(output) as stream:
        for transcript in _reporting(loader):
            stream.write(orjson.dumps(to_neutral(transcript, redact_personal=not no_redact)) + b"\n")
    _finish(loader, errors_file)


@main.command()
def formats() -> None:
    """List the input formats chatqa reads (and that `--vendor auto` detects)."""
    from rich.console import Console
    from rich.table import Table

    from .parsers import all_parsers

    table = Table(title="chatqa input formats", header_style="bold")
    table.add_column("name")
    table.add_column("syntax")
    table.add_column("what")
    for parser in sorted(all_parsers(), key=lambda p: p.name):
        table.add_row(parser.name, "/".join(sorted(parser.syntaxes)), parser.summary)
    Console(highlight=False).print(table)


def _default_format(output: Path | None) -> str:
    if output is not None:
        return OUTPUT_SUFFIXES.get(output.suffix.lower(), "jsonl")
    return "table" if sys.stdout.isatty() else "jsonl"


def _loader(paths: tuple[str, ...], vendor: str, options: Any) -> Any:
    from .parsers import Loader

    return Loader(paths, vendor=vendor, options=options, errors="collect")


def _reporting(loader: Any) -> Iterable[Any]:
    """Iterate the loader, printing each parse failure on stderr as it happens."""
    shown = 0
    for transcript in loader:
        while shown < len(loader.failures):
            click.echo(str(loader.failures[shown]), err=True)
            shown += 1
        yield transcript
    for failure in loader.failures[shown:]:
        click.echo(str(failure), err=True)


def _summary(loader: Any) -> Any:
    from .results import Summary

    return Summary(files=loader.files, records_in=loader.records_in, conversations=loader.conversations,
                   failures=loader.failures, skipped=loader.skipped)


def _output(output: Path | None) -> Any:
    from .report import atomic_output

    return atomic_output(output, sys.stdout.buffer)


def _writer(fmt: str, stream: IO[bytes], output: Path | None) -> Any:
    from . import report

    if fmt == "table":
        from .table import TableWriter

        return TableWriter(stream, color=output is None and sys.stdout.isatty())
    return {"jsonl": report.JsonlWriter, "json": report.JsonWriter, "csv": report.CsvWriter}[fmt](stream)


def _finish(loader: Any, errors_file: Path | None) -> None:
    if errors_file is not None:
        import orjson

        from .report import atomic_output

        with atomic_output(errors_file, sys.stdout.buffer) as stream:
            for failure in loader.failures:
                stream.write(orjson.dumps(failure.model_dump()) + b"\n")
    if loader.failures:
        sys.exit(EXIT_PARSE)


if __name__ == "__main__":  # pragma: no cover
    main()
