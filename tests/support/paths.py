"""Where the repository's files are, for tests that read or write them."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
ARTIFACTS = REPO / "test-artifacts"  # screenshots and reports for people to look at
