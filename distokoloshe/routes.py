"""Every page's path, in one place."""

LOBBY = "/"
LOGIN = "/login"
REGISTER = "/register"
ADMIN = "/admin"
CHECK = "/check"

# What an extension's page may not take: the core's pages, and the paths the backend and the
# static build serve (a route under one of these is refused too).
RESERVED = (LOBBY, LOGIN, REGISTER, ADMIN, CHECK, "/api", "/worklets", "/app.css",
            "/favicon.ico", "/404")
