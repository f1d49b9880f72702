"""What a kernel lab AppTest session keeps in the server-wide upload store."""

from cnnviz.lab import budget
from ui import kernel_lab, lab_results


def stored_image(at):
    """The session's stored upload ({'array', 'data'}) or None."""
    return budget.UPLOADS.get(at.session_state["upload_owner"], kernel_lab.IMAGE_SLOT)


def stored_result(at):
    """The session's stored filter memo (key, source, result, name, device) or None."""
    return budget.UPLOADS.get(at.session_state["upload_owner"], lab_results.RESULT_SLOT)
