"""Where `checkpages` writes a batch's results: a file, or stdout as the download's bytes, ending
quietly when stdout's reader stops early."""

import os
from pathlib import Path
from typing import TextIO

from checks import exports
from checks.models import Batch

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as the shell reports a writer killed by it


def results_write(batch: Batch, *, export_format: str, output: str, stdout: TextIO) -> None:
    """The batch's results in `export_format`, to the file `output` or, for "-", to `stdout`."""
    chunks = exports.csv_chunks(batch) if export_format == "csv" else exports.json_chunks(batch)
    if output != "-":
        with Path(output).open("wb") as file:
            file.writelines(chunks)
        return
    binary = getattr(stdout, "buffer", None)
    if binary is None:
        # A text stream without bytes underneath (call_command(stdout=StringIO())).
        stdout.writelines(chunk.decode() for chunk in chunks)
        return
    stdout.flush()
    try:
        binary.writelines(chunks)
        binary.flush()
    except BrokenPipeError:
        # The reader stopped early (`| head`); the batch is stored. End quietly, as a
        # writer to a closed pipe does, with nothing left for Python to flush at exit.
        chunks.close()
        os.dup2(os.open(os.devnull, os.O_WRONLY), binary.fileno())
        raise SystemExit(EXIT_BROKEN_PIPE) from None
