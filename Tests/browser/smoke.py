"""Browser smoke test: headless Chromium signs in, opens every page in the navigation, submits a form,
and fails on any HTTP error status or browser console error (a CSP violation is one).

Usage: python3 Tests/browser/smoke.py BASE_URL USERNAME PASSWORD [SCREENSHOT_DIR]
"""
import sys
from urllib.parse import urljoin

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait


def make_driver():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def status(driver):
    return driver.execute_script(
        "const n = performance.getEntriesByType('navigation')[0]; return n ? n.responseStatus : 0;")


def submit(driver, selector):
    """Clicks a submit button and waits until a new document has loaded. The old window carries a marker;
    while the page swaps, the driver may raise transient errors, which are waited out."""
    driver.execute_script("window.keelOldPage = true;")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return !window.keelOldPage && document.readyState === 'complete';"))


def console_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def main():
    base, username, password = sys.argv[1], sys.argv[2], sys.argv[3]
    shots = sys.argv[4] if len(sys.argv) > 4 else None
    driver = make_driver()
    failures = []
    visited = 0

    def check(label):
        nonlocal visited
        visited += 1
        code = status(driver)
        if code >= 400 or code == 0:
            failures.append(f"{label}: HTTP {code}")
        for entry in console_errors(driver):
            failures.append(f"{label}: console {entry['message']}")
        if shots:
            driver.save_screenshot(f"{shots}/{visited:02d}.png")

    try:
        driver.get(urljoin(base, "/login"))
        check("/login")
        driver.find_element(By.NAME, "username").send_keys(username)
        driver.find_element(By.NAME, "password").send_keys(password)
        submit(driver, "form[action='/login'] button[type=submit]")
        if "Welcome" not in driver.page_source:
            failures.append("sign-in did not reach the dashboard")
        check("dashboard")
        links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "nav.sidebar a")]
        if len(links) < 5:
            failures.append(f"navigation has only {len(links)} links")
        for link in links:
            driver.get(link)
            check(link)
        # A form post with its CSRF token, as a person would do it.
        driver.get(urljoin(base, "/tokens"))
        driver.find_element(By.NAME, "name").send_keys("browser smoke test")
        submit(driver, "form[action='/tokens'] button[type=submit]")
        if "Your new token" not in driver.page_source:
            failures.append("creating a token from the page did not show the secret")
        check("create token")
        # A manual journal entry through the line grid.
        driver.get(urljoin(base, "/ledger/entries/new"))
        driver.find_element(By.NAME, "memo").send_keys("Browser smoke test entry")
        for name, value in (("lines[0][account]", "1000"), ("lines[0][debit]", "10.00"),
                            ("lines[1][account]", "1010"), ("lines[1][credit]", "10.00")):
            driver.find_element(By.NAME, name).send_keys(value)
        submit(driver, "form[action='/ledger/entries'] button[type=submit]")
        if "posted." not in driver.page_source:
            failures.append("posting a manual entry from the page failed")
        check("post entry")
        # A customer through the partner form, then its page and the filtered list.
        driver.get(urljoin(base, "/partners/new"))
        check("new partner form")
        for name, value in (("name", "Browser Smoke SARL"), ("taxId", "FR40303265045"), ("billingCity", "Lyon"),
                            ("billingCountry", "FR"), ("iban", "FR14 2004 1010 0505 0001 3M02 606")):
            driver.find_element(By.NAME, name).send_keys(value)
        submit(driver, "form[action='/partners'] button[type=submit]")
        if "created." not in driver.page_source:
            failures.append("creating a partner from the page failed")
        check("create partner")
        driver.get(urljoin(base, "/partners?q=smoke"))
        if "Browser Smoke SARL" not in driver.page_source:
            failures.append("the new partner is not in the searched list")
        check("partner list search")
        # A service through the product form, prices one per line.
        driver.get(urljoin(base, "/catalog/products/new"))
        for name, value in (("sku", "SMOKE-1"), ("name", "Smoke test service"), ("prices", "EUR 10.00"),
                            ("taxCode", "VAT19")):
            driver.find_element(By.NAME, name).send_keys(value)
        submit(driver, "form[action='/catalog/products'] button[type=submit]")
        if "Product SMOKE-1 created." not in driver.page_source:
            failures.append("creating a product from the page failed")
        check("create product")
        # An order through the order form (confirmed at once), then a payment on the receipts page.
        driver.get(urljoin(base, "/sales/orders/new"))
        Select(driver.find_element(By.NAME, "customer")).select_by_value("C-001")
        Select(driver.find_elements(By.NAME, "product[]")[0]).select_by_value("SVC-SERVICE")
        driver.find_elements(By.NAME, "quantity[]")[0].send_keys("2")
        submit(driver, "form[action='/sales/orders'] button[type=submit]")
        if "Billing schedule" not in driver.page_source or "confirmed" not in driver.page_source:
            failures.append("taking an order from the page failed")
        check("create order")
        driver.get(urljoin(base, "/sales/receipts"))
        Select(driver.find_element(By.NAME, "customer")).select_by_value("C-001")
        driver.find_element(By.NAME, "amount").send_keys("10.00")
        submit(driver, "form[action='/sales/receipts'] button[type=submit]")
        if "recorded" not in driver.page_source:
            failures.append("recording a payment from the page failed")
        check("record receipt")
        driver.get(urljoin(base, "/admin/users/new"))
        check("new user form")
        driver.get(urljoin(base, "/no-such-page"))
        if status(driver) != 404:
            failures.append("an unknown page did not answer 404")
        driver.get_log("browser")  # the 404 itself is expected; drop its console line
    finally:
        driver.quit()
    for failure in failures:
        print("FAIL", failure)
    print(f"browser smoke test: {visited} pages, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
