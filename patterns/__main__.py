"""Lets `python -m patterns run FILE` work."""

from __future__ import annotations

import sys

from patterns.cli import main

sys.exit(main())
