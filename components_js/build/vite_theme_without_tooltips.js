// A Vite plugin (rxconfig.py adds it to Reflex's vite.config.js when no page has a tooltip):
// Radix Themes' theme.js gets theme_without_tooltips.js for its "radix-ui" import, resolved
// through the same "$/public/external/" alias as every components_js module.
const THEME_MODULE = /@radix-ui[\\/]themes[\\/]dist[\\/]esm[\\/]components[\\/]theme\.js$/;
const SHIM = "$/public/external/components_js/build/theme_without_tooltips.js";

export default function themeWithoutTooltips() {
  return {
    name: "distokoloshe-theme-without-tooltips",
    enforce: "pre",
    resolveId(source, importer) {
      if (source !== "radix-ui" || !importer || !THEME_MODULE.test(importer)) return null;
      return this.resolve(SHIM, importer, { skipSelf: true });
    },
  };
}
