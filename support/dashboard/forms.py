"""The sign-in, first-admin and sign-out forms (Flask-WTF: each carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..services.agents import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    """Email and password. Lengths are capped so a huge body costs nothing to check."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class SetupForm(FlaskForm):
    """The first admin account, created through the one-time link that `support serve` prints."""

    name = StringField("Your name", validators=[DataRequired(), Length(max=100)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class LogoutForm(FlaskForm):
    """Empty but for its CSRF token: signing out is a POST, so no other site can trigger it."""
