"""A real headless browser for the explorer's tests (Selenium driving Debian's Chromium, both
found on PATH, never downloaded), and the README's screenshot taken with it.

    python tests/visualize/browser.py docs/explorer.png     # retake the screenshot
"""
import shutil
import sys
import tempfile
from pathlib import Path

HOW_TO_ENABLE = (
    "the browser tests need Selenium and Chromium with its driver: run `make browser` (as root "
    "it installs them with apt-get) or `sudo apt-get install chromium chromium-driver` and "
    "`pip install selenium` (in seegrad's test extra)")


def browser_missing() -> str:
    """Why no browser can be started here ('' when one can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed; " + HOW_TO_ENABLE
    if not (_chromium() and shutil.which("chromedriver")):
        return "chromium or chromedriver is not on PATH; " + HOW_TO_ENABLE
    return ""


def _chromium() -> str:
    return shutil.which("chromium") or shutil.which("chromium-browser") or ""


def start_browser(width: int = 1500, height: int = 900):
    """A headless Chromium that records its network activity (the performance log)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _chromium()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 f"--window-size={width},{height}", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(options=options,
                            service=Service(executable_path=shutil.which("chromedriver")))


def neuron():
    """micrograd's neuron (o = tanh(x1*w1 + x2*w2 + b)) after backward, and its inputs."""
    from autograd import Value
    x1, x2 = Value(2.0, name="x1"), Value(0.0, name="x2")
    w1, w2 = Value(-3.0, name="w1"), Value(1.0, name="w2")
    b = Value(6.8813735870195432, name="b")
    x1w1 = x1 * w1
    x1w1.name = "x1w1"
    x2w2 = x2 * w2
    x2w2.name = "x2w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.name = "x1w1x2w2"
    n = x1w1x2w2 + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    o.backward()
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def screenshot_explorer(png: Path) -> Path:
    """The neuron's explorer in the middle of the backward pass (n sends its gradient to its
    inputs), x1w1's details and x1's explained gradient open, saved as `png` by the browser."""
    import visualize
    from selenium.webdriver.common.by import By

    o, leaves = neuron()
    with tempfile.TemporaryDirectory() as folder:
        page = visualize.explore(o, Path(folder) / "neuron.html").path
        driver = start_browser(1900, 860)
        try:
            driver.get(page.resolve().as_uri())
            while not driver.find_element(By.ID, "narration").text.startswith("n's gradient"):
                driver.find_element(By.ID, "next").click()
            driver.find_element(By.CSS_SELECTOR, 'g.node[data-name="v2"]').click()
            driver.execute_script("const z = document.getElementById('zoom'); z.value = '0.75';"
                                  "z.dispatchEvent(new Event('change'));"
                                  "const g = document.getElementById('graph');"
                                  "g.scrollLeft = g.scrollWidth; g.scrollTop = g.scrollHeight;")
            picker = driver.find_element(By.ID, "explain-leaf")
            picker.find_element(By.XPATH, "./option[text()='x1']").click()
            png = Path(png)
            png.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(png))
        finally:
            driver.quit()
    return png


if __name__ == "__main__":
    print(screenshot_explorer(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/explorer.png")))
