"""``python -m mcof`` is the ``mcof`` console script."""
from .cli import main

main(prog_name="mcof")
