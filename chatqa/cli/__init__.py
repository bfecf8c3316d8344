"""The ``chatqa`` command line: the group, shared options and helpers (the commands are in
`check` and `commands`; heavy modules are imported inside them)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

EXIT_OK, EXIT_FAILED_CHECK, EXIT_USAGE, EXIT_PARSE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
_STDOUT_USED = False  # set once results go to stdout (then an interrupted run has written part of them)


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
                   time_format: str | None, config: Any = None) -> Any:
    """ParseOptions from the config file, overridden by the command-line flags."""
    from ..arguments import OptionError, parse_options
    from ..config import anchored

    meta = _meta()
    try:
        return parse_options(
            _pairs(map_, "--map"), _pairs(role_map, "--role-map"),
            {b.strip() for v in bots for b in v.split(",") if b.strip()}, timezone, time_format,
            config=config, delimiter=meta.get("delimiter"),
            exclude=[anchored(p, Path.cwd()) for p in _split(meta.get("exclude", ())) or ()])
    except OptionError as exc:
        flag = {"columns": "--map", "roles": "--role-map", "timezone": "--timezone", "delimiter": "--delimiter",
                "time_format": "--time-format"}.get(exc.argument.partition("[")[0], "option")
        raise click.BadParameter(exc.reason, param_hint=flag) from None


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Keep an option that every command shares without naming it (see `_meta`)."""
    if value not in (None, ()):
        ctx.meta[f"chatqa.{param.name}"] = value


def _meta() -> dict[str, Any]:
    """The options `_remember` kept for the running command (by name)."""
    ctx = click.get_current_context(silent=True)
    return {k.removeprefix("chatqa."): v for k, v in (ctx.meta if ctx else {}).items() if k.startswith("chatqa.")}


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
        click.option("--delimiter", metavar="CHAR", expose_value=False, callback=_remember,
                     help="CSV field separator, e.g. ';' (default: told from the header line, else a comma)."),
        click.option("--exclude", multiple=True, metavar="GLOB,...", expose_value=False, callback=_remember,
                     help="Leave out walked files and folders matching these patterns (added to the config's "
                          "exclude), e.g. 'archive' or 'old/*.json'."),
        click.option("--errors", "errors_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="Also write parse failures to this file as JSONL."),
    ]):
        func = option(func)
    return func


STDIN_NAME = "<stdin>"


def _stdin(ctx: click.Context, param: click.Parameter, paths: tuple[str, ...]) -> tuple[str, ...]:
    """PATH ``-`` is standard input: it is copied to a temporary file (removed when the command
    ends) that the run reads like any file (its format detected, or --vendor), shown as <stdin>."""
    if "-" not in paths:
        return paths
    if paths.count("-") > 1:
        raise click.BadParameter("'-' (standard input) can be given once", param=param)
    if sys.stdin is None or sys.stdin.isatty():
        raise click.BadParameter("'-' reads an export from standard input, but it is a terminal: pipe one in "
                                 "(e.g. `cat export.jsonl | chatqa check -`)", param=param)
    import shutil
    import tempfile

    from ..read.source import NAMES

    folder = tempfile.mkdtemp(prefix="chatqa-stdin-")
    ctx.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    spooled = os.path.join(folder, "stdin")
    with open(spooled, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    NAMES[spooled] = STDIN_NAME
    return tuple(spooled if p == "-" else p for p in paths)


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"chatqa: error: {message}", err=True)
    sys.exit(code)


def _check_output_path(output: Path | None, paths: Iterable[str], errors_file: Path | None = None) -> None:
    """Refuse an output file (-o or --errors) that is one of the inputs, or a file inside an input
    folder, however it is named (relative path, symlink, hard link); that is anything but a
    regular file (a FIFO, a device, a folder, or a symlink to one); that cannot be written; or
    that both options name."""
    import stat

    if output is not None and errors_file is not None and (
            os.path.realpath(output) == os.path.realpath(errors_file)
            or (os.path.exists(output) and os.path.exists(errors_file) and os.path.samefile(output, errors_file))):
        _fail(f"-o {output} and --errors {errors_file} name the same file")
    for option, target in (("-o", output), ("--errors", errors_file)):
        if target is None:
            continue
        real = os.path.realpath(target)
        folder = os.path.dirname(real)
        if not os.path.isdir(folder):
            _fail(f"{option} {target}: no such folder {folder}")
        if not os.access(folder, os.W_OK | os.X_OK):
            _fail(f"{option} {target}: cannot write in {folder} (permission denied)")
        if not os.path.lexists(target):
            continue
        try:
            mode = os.stat(target).st_mode
        except OSError as exc:
            _fail(f"{option} {target}: {exc.strerror or exc}")
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            _fail(f"{option} {target}: {what} (outputs are written only over regular files)")
        for given in paths:
            if os.path.isdir(given):
                inside = real.startswith(os.path.realpath(given).rstrip(os.sep) + os.sep)
            else:
                try:
                    inside = os.path.samefile(given, target)
                except OSError:
                    inside = os.path.realpath(given) == real
            if inside:
                _fail(f"{option} {target}: refusing to overwrite an input file")


class _Cli(click.Group):
    """Turn unexpected errors into one line and Ctrl-C into exit 130."""

    def invoke(self, ctx: click.Context) -> Any:
        from ..errors import ChatqaError

        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # a file output is renamed into place only when complete; stdout may be partly written
            what = "the output is incomplete" if _STDOUT_USED else "no output was written"
            click.echo(f"chatqa: interrupted; {what}", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except ChatqaError as exc:  # one line per problem (a config reports all of its problems at once)
            for line in str(exc).splitlines() or [""]:  # "FILE: error: KEY: REASON" lines are shown as they are
                click.echo(line if ": error: " in line else f"chatqa: error: {line}", err=True)
            sys.exit(EXIT_USAGE)
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


def _rule_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options choosing and configuring the rules."""
    for option in reversed([
        click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                     help="Config file (default: the nearest chatqa.toml or pyproject.toml [tool.chatqa])."),
        click.option("--select", multiple=True, metavar="RULES",
                     help="Rules to run: codes, prefixes, names or groups, comma-separated (replaces config)."),
        click.option("--ignore", multiple=True, metavar="RULES",
                     help="Rules to skip: codes, prefixes, names or groups, comma-separated (replaces config)."),
        click.option("--extend-select", multiple=True, metavar="RULES", expose_value=False, callback=_remember,
                     help="Rules to run in addition to the selected ones (config or --select)."),
        click.option("--extend-ignore", multiple=True, metavar="RULES", expose_value=False, callback=_remember,
                     help="Rules to skip in addition to the ignored ones (config or --ignore)."),
    ]):
        func = option(func)
    return func


def _split(values: tuple[str, ...]) -> list[str] | None:
    items = [v.strip() for value in values for v in value.split(",") if v.strip()]
    return items or None


def _config(config_path: Path | None, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
            **overrides: Any) -> Any:
    from ..config import load_config

    meta = _meta()
    return load_config(config_path, select=_split(select), ignore=_split(ignore),
                       extend_select=_split(meta.get("extend_select", ())),
                       extend_ignore=_split(meta.get("extend_ignore", ())), **overrides)


def _loader(paths: tuple[str, ...], vendor: str, options: Any, log: FailureLog) -> Any:
    """A Loader that hands each parse failure to `log` as it is met, and goes on."""
    from ..inputs import Loader

    loader = Loader(paths, vendor=vendor, options=options, errors="collect")
    loader.on_failure = log
    return loader


def _echo(failure: Any) -> None:
    click.echo(str(failure), err=True)


def _output(output: Path | None) -> Any:
    from ..write import atomic_output

    global _STDOUT_USED
    _STDOUT_USED = _STDOUT_USED or output is None

    return atomic_output(output, sys.stdout.buffer)


class FailureLog:
    """Where parse failures go as they are met: a line each on stderr and, with ``--errors``, a
    JSONL line each in that file (written atomically at the end), so a run holds none of them."""

    def __init__(self, errors_file: Path | None) -> None:
        self.errors_file = errors_file
        self.count = 0
        self._stack = contextlib.ExitStack()
        self._stream: Any = None

    def __enter__(self) -> FailureLog:
        if self.errors_file is not None:
            from ..write import atomic_output

            self._stream = self._stack.enter_context(atomic_output(self.errors_file, sys.stdout.buffer))
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.__exit__(*exc)

    def __call__(self, failure: Any) -> None:
        self.count += 1
        _echo(failure)
        if self._stream is not None:
            import orjson

            self._stream.write(orjson.dumps(failure.model_dump()) + b"\n")

    def replay(self, summary: Any) -> None:
        """The failures of a finished run (its listed ones, and a line for those not listed)."""
        for failure in summary.failures:
            self(failure)
        unlisted = summary.failure_count - len(summary.failures)
        if unlisted > 0:
            self.count += unlisted
            click.echo(f"chatqa: {unlisted:,} more parse failures are counted but not listed", err=True)


def _finish(log: FailureLog) -> None:
    if log.count:
        sys.exit(EXIT_PARSE)


from . import check as _check_command  # noqa: E402, F401 - the commands register on `main`
from . import commands as _commands  # noqa: E402, F401
