"""nbconvert's exporter `paos_pptx` (entry point `nbconvert.exporters`):

    jupyter nbconvert --to paos_pptx executed.ipynb
    jupyter nbconvert --to paos_pptx --PptxExporter.master=house.potx executed.ipynb

writes the deck of an executed engagement notebook (or check, or portfolio report)
as `executed.pptx`, from the pages the notebook shows, as `paos run` does: the same
titles and numbers as the HTML, whatever folder it is run from.
"""

from __future__ import annotations

from nbconvert.exporters import Exporter
from traitlets import Unicode

from paos.deliverables.slides import deck_bytes


class PptxExporter(Exporter):
    """The deck of an executed paos notebook as an editable PowerPoint file."""

    export_from_notebook = "PowerPoint deck (paos)"
    output_mimetype = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    master = Unicode(
        "", help="The consultancy's PowerPoint master (.pptx or .potx); empty: plain 16:9."
    ).tag(config=True)

    def _file_extension_default(self) -> str:
        return ".pptx"

    def from_notebook_node(self, nb, resources=None, **kw):
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        resources["output_extension"] = ".pptx"
        return deck_bytes(nb_copy, self.master or None), resources
