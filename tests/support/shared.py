"""Where the shared reference material lives: ``../shared`` beside the
checkout, or ``$CALLCENTER_SHARED``."""

import os
from pathlib import Path

SHARED = Path(os.environ.get("CALLCENTER_SHARED", Path(__file__).resolve().parents[3] / "shared"))
CAPTURES = SHARED / "asterisk" / "captures"
RECORDINGS = SHARED / "asterisk" / "recordings"
CORPUS = SHARED / "corpus" / "calls"
