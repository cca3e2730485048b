"""Pages, registered in distokoloshe.app with the paths in distokoloshe.routes."""
