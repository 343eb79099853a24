"""``python -m devtools.zalo``: the standalone demo simulator."""

from devtools.zalo import main

main()
