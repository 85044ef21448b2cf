// MathJax 2 settings, read before assets/mathjax/MathJax.js loads. pymdownx.arithmatex
// writes \( .. \) and \[ .. \]; notebook cells keep $ .. $ and $$ .. $$. Code is skipped.
window.MathJax = {
  tex2jax: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    skipTags: ["script", "noscript", "style", "textarea", "pre", "code"]
  },
  "HTML-CSS": { availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web",
                imageFont: null },
  showMathMenu: false
};
