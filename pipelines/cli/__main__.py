"""`python -m pipelines.cli` is `folio`."""

from pipelines.cli import main

main()
