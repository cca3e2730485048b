// Radix Themes' <Theme> wraps every page in Tooltip.Provider, which pulls in Popper and
// floating-ui (about 12 KB gzip on every page). When no page has a tooltip, the build
// (vite_theme_without_tooltips.js) points Theme's "radix-ui" import at this module.
export { Direction, Slot } from "radix-ui";

export const Tooltip = { Provider: ({ children }) => children };
