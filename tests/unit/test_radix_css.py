"""Radix Themes' CSS pruned to what the pages use: rules of unused components, props and
breakpoints go; everything that might match stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from distokoloshe import radix_css

COMPONENTS = """
.rt-Button { color: red; }
.rt-SelectTrigger { color: blue; }
.rt-SelectContent :where(.rt-Text), .rt-Button:where(.rt-r-size-2) { margin: 0; }
.rt-Text:not(.rt-SelectItem) { color: green; }
@media (hover: hover) { .rt-SelectItem:hover { color: pink; } }
.rt-Button:where(.sm\\:rt-r-size-2) { padding: 1px; }
.rt-SelectContent:where(.xs\\:rt-r-size-2, .xs\\:rt-r-size-3) { padding: 2px; }
@keyframes rt-fade { from { opacity: 0; } }
.rt-PopperContent { z-index: 1; }
"""
UTILITIES = """
.rt-r-gap-2 { gap: 2px; }
.rt-r-mx-1, .-rt-r-mx-1 { margin: 1px; }
@media (min-width: 768px) {
  .md\\:rt-r-gap-2 { gap: 2px; }
  .md\\:rt-r-fd-row { flex-direction: row; }
}
"""
PROPS = ('const g={gap:{type:"enum",className:"rt-r-gap",responsive:!0}},'
         'm={mx:{type:"enum",className:"rt-r-mx"}},'
         'f={direction:{type:"enum",className:"rt-r-fd"}},'
         's={size:{type:"enum",className:"rt-r-size",default:"2"}};')


@pytest.fixture
def package(tmp_path: Path) -> Path:
    for name in ("button", "select", "text"):
        (tmp_path / "src" / "components").mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / "components" / f"{name}.css").write_text("")
    (tmp_path / "dist" / "esm" / "props").mkdir(parents=True)
    (tmp_path / "dist" / "esm" / "props" / "all.props.js").write_text(PROPS)
    (tmp_path / "components.css").write_text(COMPONENTS)
    (tmp_path / "utilities.css").write_text(UTILITIES)
    return tmp_path


def test_rules_of_unused_components_and_props_go(package):
    css = radix_css.lean_css(package, {"Button", "Text"}, {"direction"}, {("direction", "md")})
    assert ".rt-Button { color: red; }" not in css  # rules are rewritten, but kept:
    assert ".rt-Button{ color: red; }" in css
    assert "SelectTrigger" not in css and "pink" not in css
    assert ".rt-Button:where(.rt-r-size-2)" in css  # one selector of the list is alive
    assert ".rt-Text:not(.rt-SelectItem)" in css    # a negation needs nothing
    assert "sm\\:rt-r-size-2" not in css            # no responsive size anywhere
    assert "xs\\:rt-r-size-2" not in css
    assert "@keyframes rt-fade" in css and "rt-PopperContent" in css  # unknown: kept
    assert "rt-r-gap-2" not in css and "rt-r-mx-1" not in css         # props never given
    assert "md\\:rt-r-fd-row" in css                                   # given at md


def test_a_responsive_prop_keeps_its_breakpoint_variants(package):
    code = ['jsx(Flex,{gap:({ ["initial"] : "1", ["md"] : "2" }),className:"x"})']
    used = radix_css.object_keys(code)
    assert {"gap", "className"} <= used
    css = radix_css.lean_css(package, {"Button", "Select"}, used,
                             radix_css.responsive_props(code))
    assert ".rt-r-gap-2" in css and "md\\:rt-r-gap-2" in css
    assert "md\\:rt-r-fd-row" not in css
    assert "SelectTrigger" in css and "pink" in css
