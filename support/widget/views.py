"""The widget's loader (``/widget.js``), its frame (``/widget/frame``) and the ``/demo`` page."""

from flask import Blueprint

bp = Blueprint("widget", __name__)
