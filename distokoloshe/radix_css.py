"""The Radix Themes CSS a build needs: components.css and utilities.css without the rules
that can never match, because the component they style or the prop that sets their class
is used nowhere in the app.

Radix Themes' components.css styles all 50-odd components (32 KB gzip) and utilities.css
sets every layout, margin and padding prop at every breakpoint (20 KB gzip); Radix ships no
per-component built CSS. The pruning is conservative: a rule goes only when every one of its
selectors needs a class (outside :where()/:not()/... ) of a component family, or a prop's
utility class, that the app does not use; unknown classes are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

# Radix components that render other Radix components (or their base styles) themselves.
INTERNAL_USES = {
    "Button": {"BaseButton", "Spinner", "VisuallyHidden"},
    "IconButton": {"BaseButton", "Spinner", "VisuallyHidden"},
    "DropdownMenu": {"BaseMenu", "ScrollArea"},
    "ContextMenu": {"BaseMenu", "ScrollArea"},
    "Select": {"BaseMenu", "ScrollArea"},
    "Dialog": {"BaseDialog"},
    "AlertDialog": {"BaseDialog"},
    "Checkbox": {"BaseCheckbox"},
    "CheckboxGroup": {"BaseCheckbox"},
    "CheckboxCards": {"BaseCard", "BaseCheckbox"},
    "Radio": {"BaseRadio"},
    "RadioGroup": {"BaseRadio"},
    "RadioCards": {"BaseCard", "BaseRadio"},
    "Card": {"BaseCard"},
    "Tabs": {"BaseTabList"},
    "TabNav": {"BaseTabList"},
    "Callout": {"Text"},
    "Link": {"Text"},
    "Table": {"ScrollArea"},
    "ThemePanel": {"Tooltip", "Kbd", "ScrollArea", "Heading", "Text", "Flex", "Grid"},
}
_COMPONENT_CLASS = re.compile(r"\.rt-([A-Z][A-Za-z]*)")
# .rt-r-gap-2, .sm\:rt-r-gap-2, .-rt-r-mx-1 (negative margins)
_UTILITY_CLASS = re.compile(r"\.(?:[a-z]+\\:)?-?(rt-r-[\w-]+)")
_RESPONSIVE_CLASS = re.compile(r"\.([a-z]+)\\:-?(rt-r-[\w-]+)")
_MATCHES_ANY = re.compile(r":(?:where|is)\(([^()]*)\)")
_NEGATION = re.compile(r":not\([^()]*\)")
# a responsive value as Reflex compiles it: `columns:({ ["initial"] : "1", ["sm"] : "2" })`
_RESPONSIVE_VALUE = re.compile(
    r"([A-Za-z_]\w*)\s*:\s*\(?\{\s*\[\"(?:initial|xs|sm|md|lg|xl)\"\][^{}]*\}")
_BREAKPOINT_KEY = re.compile(r"\[\"(initial|xs|sm|md|lg|xl)\"\]")
_PROP_DEF = re.compile(r"(\w+):\{([^{}]*)\}")
_CLASS_NAME = re.compile(r"className:\"(rt-r-[\w-]+)\"")


def _blocks(css: str) -> Iterable[tuple[str, str | None]]:
    """Top-level (prelude, body) pairs; body is None for a statement such as @import."""
    i, n = 0, len(css)
    while i < n:
        start = i
        while i < n and css[i] not in "{;":
            if css.startswith("/*", i):
                i = css.find("*/", i + 2) + 2 or n
            else:
                i += 1
        if i >= n:
            return
        prelude = css[start:i].strip()
        if css[i] == ";":
            yield prelude, None
            i += 1
            continue
        depth, j = 1, i + 1
        while j < n and depth:
            if css.startswith("/*", j):
                j = css.find("*/", j + 2) + 2 or n
                continue
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        yield prelude, css[i + 1:j - 1]
        i = j


def _split_selectors(prelude: str) -> list[str]:
    """The selector list split at its top-level commas (not those inside :is(...))."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(prelude):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(prelude[start:k])
            start = k + 1
    parts.append(prelude[start:])
    return parts


def _required_part(selector: str) -> str:
    """The selector without its functional pseudo-classes, whose classes are optional."""
    out, depth = [], 0
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def prune(css: str, selector_is_dead: Callable[[str], bool]) -> str:
    """`css` without the style rules all of whose selectors are dead (recursing into
    @media/@supports/@layer); everything else is kept as it is."""
    out = []
    for prelude, body in _blocks(css):
        if body is None:
            out.append(f"{prelude};")
        elif prelude.startswith(("@media", "@supports", "@layer", "@container")):
            inner = prune(body, selector_is_dead)
            if inner.strip():
                out.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@") or not all(
                selector_is_dead(s) for s in _split_selectors(prelude)):
            out.append(f"{prelude}{{{body}}}")
    return "\n".join(out)


def component_families(package: Path) -> set[str]:
    """Every component family Radix Themes styles (Button, BaseMenu, TextField...), from the
    names of its source CSS files."""
    names = [p.stem for p in (package / "src" / "components").rglob("*.css")]
    return {"".join(part.capitalize() for part in name.split("-")) for name in names} - {
        "Index", "Reset", "Animations", "Layout"}


def utility_classes(package: Path) -> tuple[dict[str, set[str]], set[str]]:
    """For each prop name (JS, e.g. "gap", "mx"), the utility class names it sets; and the
    class names of props with a default value, which components set even when not given."""
    found: dict[str, set[str]] = {}
    defaults: set[str] = set()
    for path in (package / "dist" / "esm").rglob("*.js"):
        if ".prop" in path.name:
            for prop, definition in _PROP_DEF.findall(path.read_text(encoding="utf-8")):
                for class_name in _CLASS_NAME.findall(definition):
                    found.setdefault(prop, set()).add(class_name)
                    if "default:" in definition:
                        defaults.add(class_name)
    return found, defaults


def _utility_of(name: str, class_names: set[str]) -> str | None:
    best = None
    for class_name in class_names:
        matches = name == class_name or name.startswith(class_name + "-")
        if matches and (best is None or len(class_name) > len(best)):
            best = class_name
    return best


def _family_of(name: str, families: set[str]) -> str | None:
    best = None
    for family in families:
        matches = name.startswith(family) and (len(name) == len(family)
                                               or name[len(family)].isupper())
        if matches and (best is None or len(family) > len(best)):
            best = family
    return best


_OBJECT_KEY = re.compile(r"(?:^|[{,'\"\s])([A-Za-z_]\w*)\s*:")


def object_keys(code: Iterable[str]) -> set[str]:
    """Every `key:` in compiled JSX (or its rendered form): a superset of the props passed."""
    return {key for text in code for key in _OBJECT_KEY.findall(text)}


def responsive_props(code: Iterable[str]) -> set[tuple[str, str]]:
    """(prop, breakpoint) for each prop given a responsive value in compiled JSX."""
    found = set()
    for text in code:
        for match in _RESPONSIVE_VALUE.finditer(text):
            found.update((match[1], bp) for bp in _BREAKPOINT_KEY.findall(match[0]))
    return found


def lean_css(package: Path, used_families: Iterable[str], used_props: Iterable[str],
             responsive: Iterable[tuple[str, str]] = ()) -> str:
    """components.css and utilities.css of the Radix Themes `package` for an app whose
    components have the given families (tag roots: "Button", "DropdownMenu") and props,
    `responsive` of them at the given breakpoints (see responsive_props)."""
    families = component_families(package)
    used = set(used_families)
    for family in list(used):
        used |= INTERNAL_USES.get(family, set())
    unused_families = families - used
    by_prop, defaults = utility_classes(package)
    all_utilities = set().union(*by_prop.values())
    kept_utilities = defaults.union(*(by_prop.get(p, set()) for p in used_props))
    unused_utilities = all_utilities - kept_utilities
    # the breakpoint variants (.md\\:rt-r-fd-row) that some responsive prop value sets
    kept_responsive = {(bp, class_name) for prop, bp in responsive
                       for class_name in by_prop.get(prop, ())}
    cache: dict[str, str | None] = {}

    def responsive_dead(part: str) -> bool:
        for bp, name in _RESPONSIVE_CLASS.findall(part):
            if name not in cache:
                cache[name] = _utility_of(name, all_utilities)
            if cache[name] is not None and (bp, cache[name]) not in kept_responsive:
                return True
        return False

    def breakpoints_dead(selector: str) -> bool:
        """Whether the selector needs a breakpoint variant that no prop value sets."""
        selector = _NEGATION.sub("", selector)
        if any(all(responsive_dead(alt) for alt in group.split(","))
               for group in _MATCHES_ANY.findall(selector)):
            return True
        return responsive_dead(_MATCHES_ANY.sub("", selector))

    def dead(selector: str) -> bool:
        required = _required_part(selector)
        for name in _COMPONENT_CLASS.findall(required):
            if name not in cache:
                cache[name] = _family_of(name, families)
            if cache[name] in unused_families:
                return True
        for name in _UTILITY_CLASS.findall(required):
            if name not in cache:
                cache[name] = _utility_of(name, all_utilities)
            if cache[name] in unused_utilities:
                return True
        return breakpoints_dead(selector)

    return "\n".join(prune((package / name).read_text(encoding="utf-8"), dead)
                     for name in ("components.css", "utilities.css"))
