"""The app's pages: file, URL path, title and what each one teaches (read by app.py and tests)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    """One page of the app."""

    file: str  # path relative to the project root
    url_path: str  # shareable address: http://host:8501/<url_path>
    title: str
    icon: str
    section: str
    teaches: str  # one sentence for the home page


HOME = PageInfo("pages/home.py", "", "Home", ":material/home:", "Start",
                "What each page teaches and which device computes.")

# Pages are added here as they are built; the order is the order of the course.
PAGES: list[PageInfo] = [
    PageInfo("pages/6_kernel_lab.py", "kernel-lab", "Kernel lab", ":material/tune:", "Kernels",
             "Filter your own micrographs with typed or preset kernels, and learn a kernel."),
]


def all_pages() -> list[PageInfo]:
    """Home first, then the lessons in course order."""
    return [HOME, *PAGES]
