"""elbv2 (filled in below)."""
import sys

from services import op, register  # noqa: F401

register(sys.modules[__name__])
