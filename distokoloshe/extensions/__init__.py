"""The extensions shipped with disTokoloshe, each off until EXTENSIONS lists it
(distokoloshe/extension_registry.py). Each one uses only `distokoloshe.extend`."""
