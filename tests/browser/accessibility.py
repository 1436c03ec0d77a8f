"""axe-core in the browser: the WCAG 2.1 A/AA violations of a page, each node marked DEMOS or stock.

axe-core is the npm package the asset build installs under the instance's node_modules
(it comes with eslint-plugin-jsx-a11y); it is injected into the page and run there.
A node is "DEMOS" when it lies in a part the registry renders: an element whose id or
class starts with ``demos``, the DEMOS section of the deposit form, the registry's
front page, footer and header link.
"""

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
AXE_RELATIVE = Path("assets/node_modules/axe-core/axe.min.js")
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("critical", "serious")
DEMOS_PARTS = ", ".join(
    [
        "[id^='demos']",
        "[class*='demos']",
        "[data-demos-review]",
        "#demos-model-section",
        ".demos-frontpage",
        "#demos-footer",
    ]
)
"""Where the registry's own templates and components render."""


def axe_script():
    """Path of axe.min.js in the instance the page tests are served from."""
    static = os.environ.get("DEMOS_TEST_STATIC_FOLDER", str(REPO / "var/instance/static"))
    path = Path(static).parent / AXE_RELATIVE
    if not path.exists():
        pytest.fail(f"{path} is missing: build the web assets (scripts/test does)")
    return path


RUN_AXE = """
async ([tags, demosParts]) => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  const isDemos = (target) => {
    const selector = target[target.length - 1];
    const element = typeof selector === "string" ? document.querySelector(selector) : null;
    return Boolean(element && element.closest(demosParts));
  };
  return result.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.map((node) => ({
      target: node.target.join(" "),
      impact: node.impact,
      demos: isDemos(node.target),
      html: node.html.slice(0, 300),
    })),
  }));
}
"""


AXE_URL = "/__axe-core__/axe.min.js"
"""Where the page loads axe-core from: same origin, as the registry's CSP allows no inline script."""


def axe_violations(page):
    """The page's WCAG 2.1 A/AA violations: ``[{id, impact, help, nodes: [{target, impact, demos, html}]}]``."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.route(f"**{AXE_URL}", lambda route: route.fulfill(path=str(axe_script())))
        page.add_script_tag(url=AXE_URL)
    return page.evaluate(RUN_AXE, [WCAG_21_AA, DEMOS_PARTS])


def summary(violations):
    """Counts as reported in docs/accessibility.md: rules, nodes, and nodes per impact."""
    counts = {"rules": len(violations), "nodes": 0, "critical": 0, "serious": 0, "demos_blocking": 0}
    for violation in violations:
        for node in violation["nodes"]:
            counts["nodes"] += 1
            impact = node["impact"] or violation["impact"]
            if impact in ("critical", "serious"):
                counts[impact] += 1
                counts["demos_blocking"] += node["demos"]
    return counts


def save_report(artifacts, name, violations, console_errors=()):
    """Write the page's violations, their summary and console errors to test-artifacts/axe-<name>.json."""
    artifacts.mkdir(exist_ok=True)
    report = {
        "page": name,
        "summary": summary(violations),
        "console_errors": list(console_errors),
        "failed_responses": getattr(console_errors, "responses", []),
        "violations": violations,
    }
    (artifacts / f"axe-{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return report
