"""Sign-in and the agents' dashboard."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)
