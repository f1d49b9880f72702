"""The app's pages: file, URL path, title and what each one teaches (read by app.py and tests)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    """One page of the app."""

    file: str  # path relative to the project root
    # Shareable address http://host:8501/<url_path>. It must equal the name Streamlit derives
    # from the file name (pages/2_cross_correlation.py -> cross_correlation): see pages/__init__.py.
    url_path: str
    title: str
    icon: str
    section: str
    teaches: str  # one sentence for the home page
    spec: str = ""  # prefix of the page's configuration (cnnviz.pagespecs), "" when it has none


HOME = PageInfo("pages/home.py", "", "Home", ":material/home:", "Start",
                "What each page teaches and which device computes.")

# Pages are added here as they are built; the order is the order of the course.
PAGES: list[PageInfo] = [
    PageInfo("pages/1_why_convolutions.py", "why_convolutions", "Why convolutions",
             ":material/compress:", "Sliding window",
             "Count the weights of dense, shared and local layers; shift an image and watch "
             "the output follow.", spec="why"),
    PageInfo("pages/2_cross_correlation.py", "cross_correlation", "Cross-correlation",
             ":material/grid_on:", "Sliding window",
             "Slide a kernel over an input and watch each output cell being summed up.",
             spec="xc"),
    PageInfo("pages/3_padding_and_stride.py", "padding_and_stride", "Padding and stride",
             ":material/border_outer:", "Sliding window",
             "Padding, stride, dilation and padding modes, with the output-size formula.",
             spec="ps"),
    PageInfo("pages/4_channels.py", "channels", "Channels", ":material/layers:",
             "Sliding window",
             "Several input and output channels, and the 1x1 convolution as a matrix product.",
             spec="chan"),
    PageInfo("pages/5_pooling.py", "pooling", "Pooling", ":material/filter_center_focus:",
             "Sliding window", "Max and average pooling, channel by channel.",
             spec="po"),
    PageInfo("pages/6_kernel_lab.py", "kernel_lab", "Kernel lab", ":material/tune:", "Kernels",
             "Filter your own micrographs with typed or preset kernels, and learn a kernel.",
             spec="kl"),
    PageInfo("pages/7_lenet.py", "lenet", "LeNet", ":material/neurology:", "Networks",
             "Build LeNet-5, train it live on Fashion-MNIST or MNIST, and look at what it "
             "learned.", spec="lenet"),
]


def all_pages() -> list[PageInfo]:
    """Home first, then the lessons in course order."""
    return [HOME, *PAGES]
