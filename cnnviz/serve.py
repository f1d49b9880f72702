"""``python -m cnnviz.serve``: the public name of the launcher in cnnviz.serving.launcher."""

import sys

from cnnviz.serving.launcher import free_port, main, streamlit_command, wait_healthy

__all__ = ["free_port", "main", "streamlit_command", "wait_healthy"]

if __name__ == "__main__":
    sys.exit(main())
