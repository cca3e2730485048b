"""Every page's path, in one place."""

LOBBY = "/"
LOGIN = "/login"
REGISTER = "/register"
ADMIN = "/admin"
CHECK = "/check"
