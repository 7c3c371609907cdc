#!/usr/bin/env python3
"""The dashboard in headless Chromium, driven through selenium, as an operator, an administrator and a viewer use it.

Run by DashboardBrowserTests (Tests/HitchTests/EndToEnd) against a running `hitch serve` and a vCenter simulator of
its own; everything it needs comes from the environment. It saves a screenshot of each page in HITCH_SCREENSHOTS and
checks that no secret it typed appears in any page's HTML, form value or script. Exits 1 at the first failure.
"""
import json
import os
import subprocess
import tempfile
import time
import ssl
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.support.ui import Select, WebDriverWait

ENV = os.environ
BASE = ENV["HITCH_URL"]
# Over HTTPS: the test CA for Python's own requests, and the served key's hash for Chromium.
TLS_CONTEXT = ssl.create_default_context(cafile=ENV["HITCH_CA_CERT"]) if BASE.startswith("https://") else None
SHOTS = ENV["HITCH_SCREENSHOTS"]
OLD_PASSWORD = ENV["VCSIM_PASSWORD_1"]
NEW_PASSWORD = ENV["VCSIM_PASSWORD_2"]
CANARIES = [OLD_PASSWORD, NEW_PASSWORD, ENV["ADMIN_PASSWORD"], ENV["VIEWER_PASSWORD"], ENV["HITCH_TOKEN"]]
shot_number = 0
pages_checked = 0


def fail(message):
    print("FAIL: " + message, flush=True)
    raise SystemExit(1)


def check(condition, message):
    if not condition:
        fail(message)


def api(method, path, body=None, headers=None):
    """The API with the bootstrap token, for what the test sets up outside the dashboard."""
    request = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Authorization", "Bearer " + ENV["HITCH_TOKEN"])
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    with urllib.request.urlopen(request, context=TLS_CONTEXT) as response:
        text = response.read().decode()
        return json.loads(text) if text else None, response.headers


def set_simulator_password(password):
    """The simulator reads its users file at every login: this is the password change made in vCenter."""
    users = [{"username": ENV["VCSIM_USERNAME"], "password": password, "role": "Admin", "entity": "datacenter"}]
    with open(ENV["VCSIM_USERS_FILE"], "w") as file:
        json.dump(users, file)


def no_secrets(driver, where):
    """No secret in the page's HTML, in any form field's value attribute, or in any script the page loads."""
    global pages_checked
    html = driver.page_source
    values = driver.execute_script(
        "return Array.from(document.querySelectorAll('input, textarea, select')).map(e => e.getAttribute('value') || '')")
    scripts = driver.execute_script(
        "return Array.from(document.scripts).map(s => s.src ? s.src : s.textContent)")
    for secret in CANARIES:
        check(secret not in html, "a secret is in the HTML of " + where)
        check(all(secret not in value for value in values), "a secret is in a form value on " + where)
        check(all(secret not in script for script in scripts), "a secret is in a script on " + where)
    pages_checked += 1


def labelled(driver, where):
    """Every visible form control has a label, so a screen reader names it."""
    unlabelled = driver.execute_script(
        "return Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))"
        ".filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.name || e.id)")
    check(not unlabelled, "controls without a label on %s: %s" % (where, unlabelled))


def shot(driver, name):
    global shot_number
    shot_number += 1
    driver.save_screenshot(os.path.join(SHOTS, "%02d-%s.png" % (shot_number, name)))


def visit(driver, path, name):
    driver.get(BASE + path)
    no_secrets(driver, path)
    labelled(driver, path)
    shot(driver, name)


def wait(driver, seconds=20):
    # A region the page replaces while it is read ("node does not belong to the document") is read again.
    return WebDriverWait(driver, seconds, ignored_exceptions=[StaleElementReferenceException, WebDriverException])


def text_of(driver, element_id):
    """An element's text, read again when the page replaced the element while it was read."""
    return wait(driver).until(lambda d: d.find_element(By.ID, element_id).text)


def by_id(driver, element_id):
    return driver.find_element(By.ID, element_id)


def typed(driver, element_id, text):
    element = by_id(driver, element_id)
    element.clear()
    element.send_keys(text)


def sign_in(driver, username, password):
    driver.get(BASE + "/ui/connections")
    wait(driver).until(EC.url_contains("/ui/login"))
    no_secrets(driver, "sign-in")
    typed(driver, "username", username)
    typed(driver, "password", password)
    by_id(driver, "password").submit()
    wait(driver).until(EC.url_contains("/ui/connections"))
    check(username in by_id(driver, "signed-in-as").text, "signed in as " + username)


def sign_in_with_keyboard(driver, username, password):
    """The sign-in form with the keyboard only: the username has the focus, Tab moves on, Enter submits."""
    driver.get(BASE + "/ui/login")
    # autofocus applies once the page has loaded, which a loaded machine may finish after get() returns.
    focused = lambda d: d.switch_to.active_element.get_attribute("id") == "username"
    try:
        wait(driver).until(focused)
    except TimeoutException:
        pass
    check(focused(driver), "the username has the focus")
    ActionChains(driver).send_keys(username, Keys.TAB, password, Keys.ENTER).perform()
    wait(driver).until(EC.url_contains("/ui/connections"))
    check(username in by_id(driver, "signed-in-as").text, "signed in with the keyboard as " + username)


def sign_out(driver):
    by_id(driver, "sign-out").click()
    wait(driver).until(EC.url_contains("/ui/login"))


def drawer_test(driver):
    """Test Connection in the details drawer: the saved values, tested now."""
    by_id(driver, "test-saved").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "drawer-stages"), "authenticate"))
    return text_of(driver, "drawer-status"), text_of(driver, "drawer-stages")


def form_test(driver):
    """Test Connection in a form: posted in the background; the result replaces its region only."""
    by_id(driver, "test-connection").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "test-summary")))
    return text_of(driver, "test-summary")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]:
        options.add_argument(argument)
    if ENV.get("HITCH_TLS_SPKI"):
        options.add_argument("--ignore-certificate-errors-spki-list=" + ENV["HITCH_TLS_SPKI"])
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def operator_flows(driver):
    name = "lab-vcenter"
    sign_in(driver, ENV["ADMIN_USER"], ENV["ADMIN_PASSWORD"])
    cookie = next(c for c in driver.get_cookies() if c["name"] == "hitch_session")
    check(cookie["httpOnly"] and cookie.get("sameSite") == "Strict", "the session cookie is HttpOnly and SameSite=Strict")
    check(cookie.get("secure", False) == BASE.startswith("https://"), "the session cookie is Secure exactly when served over TLS")
    visit(driver, "/ui/connections", "connections-empty")

    # + New Connection: category, kind, then exactly the kind's fields.
    by_id(driver, "new-connection").click()
    driver.find_element(By.CSS_SELECTOR, "a[href='/ui/new?category=on-premises']").click()
    shot(driver, "new-category")
    driver.find_element(By.CSS_SELECTOR, "a[data-kind='vsphere']").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "f-vcenter")))
    check("case sensitive: enter it exactly as in vCenter" in driver.page_source, "the datacenter's help text")
    check(not driver.find_elements(By.ID, "f-clientSecret"), "only the vSphere fields")
    labelled(driver, "the new vSphere form")
    typed(driver, "f-name", "Not A Name")
    typed(driver, "f-vcenter", ENV["VCSIM_HOSTPORT"])
    typed(driver, "f-username", ENV["VCSIM_USERNAME"])
    typed(driver, "f-password", OLD_PASSWORD)
    typed(driver, "f-datacenter", "DC0")
    typed(driver, "f-thumbprint", ENV["VCSIM_THUMBPRINT"])
    typed(driver, "f-tags", "lab, vmware")

    # A save with a bad name: the field's error beside it, nothing typed lost. Then Test Connection first, and save.
    by_id(driver, "save-connection").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "e-name"), "must"))
    check(by_id(driver, "f-password").get_property("value") == OLD_PASSWORD, "the typed password is kept after an error")
    check(by_id(driver, "f-vcenter").get_property("value") == ENV["VCSIM_HOSTPORT"], "the typed endpoint is kept")
    no_secrets(driver, "the form with an error")
    shot(driver, "new-vsphere-field-error")
    typed(driver, "f-name", name)
    summary = form_test(driver)
    check("Test passed" in summary, "the candidate test passes: " + summary)
    check(by_id(driver, "f-password").get_property("value") == OLD_PASSWORD, "the typed password is kept after a test")
    no_secrets(driver, "the tested form")
    shot(driver, "new-vsphere-tested")
    by_id(driver, "save-connection").click()
    wait(driver).until(EC.url_contains("/ui/connections/" + name))
    no_secrets(driver, "the drawer")
    check("********" in by_id(driver, "drawer").text, "the password shows as a placeholder")
    check(by_id(driver, "drawer-status").text == "ok", "a form tested before its save records the saved test")
    check("Connection created." in by_id(driver, "notice").text, "the notice")
    shot(driver, "drawer")

    # Edit keeping the password: the input is empty with a placeholder; the stored secret still works.
    by_id(driver, "edit-connection").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "f-password")))
    password = by_id(driver, "f-password")
    check(password.get_attribute("value") == "" and "stored" in password.get_attribute("placeholder"), "a placeholder, no value")
    no_secrets(driver, "the edit form")
    shot(driver, "edit")
    typed(driver, "f-description", "Lab vCenter for wave 1")
    check("Test passed" in form_test(driver), "the stored password tests with the change")
    by_id(driver, "save-connection").click()
    wait(driver).until(EC.url_contains("/ui/connections/" + name + "?notice=saved"))
    status, _ = drawer_test(driver)
    check(status == "ok", "the kept password still works: " + status)
    connection, _ = api("GET", "/v1/connections/" + name)
    check(connection["credentialVersion"] == 1 and connection["description"] == "Lab vCenter for wave 1", "kept as version 1")

    # A destination change without the password: refused with the error beside the password, nothing saved (S9).
    by_id(driver, "edit-connection").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "f-vcenter")))
    check("changes where the secret is sent" in by_id(driver, "h-f-vcenter").text, "the destination field says so")
    typed(driver, "f-vcenter", "127.0.0.1:9")
    by_id(driver, "save-connection").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "e-f-password"), "re-enter the password"))
    check(by_id(driver, "f-vcenter").get_property("value") == "127.0.0.1:9", "the typed endpoint is kept")
    no_secrets(driver, "the refused destination change")
    shot(driver, "destination-needs-secret")
    check(api("GET", "/v1/connections/" + name)[0]["fields"]["vcenter"] == ENV["VCSIM_HOSTPORT"], "nothing was saved")
    driver.get(BASE + "/ui/connections/" + name)
    wait(driver).until(EC.presence_of_element_located((By.ID, "test-saved")))

    # The password is changed in vCenter: the saved one fails at its stage, then the new one is saved.
    set_simulator_password(NEW_PASSWORD)
    status, stages = drawer_test(driver)
    check(status == "failed" and "auth-failed authenticate" in stages, "the failed stage is shown: " + stages)
    no_secrets(driver, "the failed test")
    shot(driver, "failed-stage")
    by_id(driver, "edit-connection").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "f-password")))
    typed(driver, "f-password", NEW_PASSWORD)
    check("Test passed" in form_test(driver), "the new password tests before it is saved")
    by_id(driver, "save-connection").click()
    wait(driver).until(EC.url_contains("?notice=saved"))
    status, _ = drawer_test(driver)
    check(status == "ok", "the new password works once saved")
    # The drawer's strip of recent results: the failed test and the passing one, oldest first, each with its title.
    cells = driver.find_elements(By.CSS_SELECTOR, "#drawer-history .cell")
    titles = [cell.get_attribute("title") for cell in cells]
    check(len(cells) >= 2 and "auth-failed" in " ".join(titles) and ": ok" in titles[-1], "the history strip: %s" % titles)
    colours = [cell.get_attribute("class") for cell in cells]
    failed = [index for index, title in enumerate(titles) if "auth-failed" in title]
    check(all("bad" in colours[index] for index in failed) and "good" in colours[-1], "the strip's colours: %s" % colours)
    check("ok since" in text_of(driver, "drawer-since"), "since when it is ok")
    shot(driver, "history-strip")
    connection, headers = api("GET", "/v1/connections/" + name)
    check(connection["credentialVersion"] == 2, "the change made version 2")
    history = by_id(driver, "drawer").text
    check("password" in history, "the history lists the changed field")

    # A stale edit: someone saves in between; the save is refused, not overwritten, and nothing typed is lost.
    by_id(driver, "edit-connection").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "f-description")))
    api("PATCH", "/v1/connections/" + name, {"description": "changed by someone else"}, {"If-Match": connection["etag"]})
    typed(driver, "f-description", "my change")
    by_id(driver, "save-connection").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "form-message"), "Someone saved this connection"))
    check(by_id(driver, "f-description").get_property("value") == "my change", "the typed description is kept")
    shot(driver, "stale-edit")
    check(api("GET", "/v1/connections/" + name)[0]["description"] == "changed by someone else", "not overwritten")

    # Inventory and preflight.
    visit(driver, "/ui/connections/%s/inventory" % name, "inventory-empty")
    by_id(driver, "run-discovery").click()
    for _ in range(60):
        if "Discovered" in driver.page_source:
            break
        time.sleep(0.5)
        driver.get(BASE + "/ui/connections/%s/inventory" % name)
    tree = by_id(driver, "inventory-tree").text
    check("DC0" in tree and "DC0_C0" in tree and "DC0_H0_VM0" in tree, "the tree shows datacenter, cluster and VMs: " + tree[:300])
    no_secrets(driver, "the inventory")
    shot(driver, "inventory")
    visit(driver, "/ui/connections/%s/preflight" % name, "preflight-empty")
    by_id(driver, "run-preflight").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "privileges")))
    check("granted" in by_id(driver, "privileges").text, "the privilege table")
    no_secrets(driver, "the preflight")
    shot(driver, "preflight")

    # Delete refused while an assignment uses it: the blockers are listed.
    api("POST", "/v1/assignments", {"connection": name, "kind": "image", "ref": "golden-image-7"})
    driver.get(BASE + "/ui/connections")
    row = driver.find_element(By.CSS_SELECTOR, "tr[data-name='%s']" % name)
    row.find_element(By.TAG_NAME, "summary").click()
    row.find_element(By.LINK_TEXT, "Delete").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "confirm-delete")))
    shot(driver, "delete-confirm")
    by_id(driver, "confirm-delete").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "delete-refused")))
    check("golden-image-7" in by_id(driver, "blockers").text, "the assignment is listed as a blocker")
    shot(driver, "delete-refused")
    check(api("GET", "/v1/connections/" + name)[0]["name"] == name, "still there")

    # An API key is shown once, with a copy button, right after creation.
    driver.get(BASE + "/ui/new?kind=api-key")
    typed(driver, "f-name", "agent-key")
    Select(by_id(driver, "f-tokenType")).select_by_value("connector")
    by_id(driver, "save-connection").click()
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "button[data-copy]")))
    key = by_id(driver, "issued-key").text
    check(len(key) > 30, "the key is shown")
    shot(driver, "api-key-once")
    CANARIES.append(key)
    visit(driver, "/ui/connections/agent-key", "api-key-drawer")

    # A regenerated key is shown once after the save, too; the old one is replaced.
    visit(driver, "/ui/connections/agent-key/edit", "api-key-edit")
    by_id(driver, "g-f-key").click()
    by_id(driver, "save-connection").click()
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "button[data-copy]")))
    new_key = by_id(driver, "issued-key").text
    check(len(new_key) > 30 and new_key != key, "the new key is shown once")
    shot(driver, "api-key-regenerated")
    CANARIES.append(new_key)
    check(api("GET", "/v1/connections/agent-key")[0]["credentialVersion"] == 2, "the key was rotated")

    # The table: filter, search and sort; the audit page; a narrow screen.
    visit(driver, "/ui/connections?kind=vsphere", "connections-filtered")
    check(len(driver.find_elements(By.CSS_SELECTOR, "#connections tbody tr")) == 1, "the kind filter")
    visit(driver, "/ui/connections?q=agent", "connections-search")
    check(driver.find_element(By.CSS_SELECTOR, "#connections tbody tr").get_attribute("data-name") == "agent-key", "search")
    visit(driver, "/ui/connections?sort=name&dir=desc", "connections")
    names = [r.get_attribute("data-name") for r in driver.find_elements(By.CSS_SELECTOR, "#connections tbody tr")]
    check(names == ["lab-vcenter", "agent-key"], "sorted by name, descending: %s" % names)
    # A Google key is chosen as a file: the browser reads it into the form, which posts its text.
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                         check=True, capture_output=True, text=True).stdout
    CANARIES.append(pem.splitlines()[5])
    descriptor, key_path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(descriptor, "w") as key_file:
        json.dump({"type": "service_account", "project_id": "proj-upload", "private_key_id": "k1",
                   "client_email": "hitch@proj-upload.iam.gserviceaccount.com", "private_key": pem,
                   "token_uri": "https://oauth2.googleapis.com/token"}, key_file)
    driver.get(BASE + "/ui/new?kind=gcp")
    typed(driver, "f-name", "gcp-images-dev")
    typed(driver, "f-projectId", "proj-upload")
    by_id(driver, "file-f-serviceAccountKey").send_keys(os.path.abspath(key_path))
    wait(driver).until(lambda d: "service_account" in by_id(d, "f-serviceAccountKey").get_property("value"))
    os.remove(key_path)
    shot(driver, "gcp-key-uploaded")
    by_id(driver, "save-connection").click()
    wait(driver).until(EC.url_contains("/ui/connections/gcp-images-dev"))
    no_secrets(driver, "the gcp drawer")
    check(api("GET", "/v1/connections/gcp-images-dev")[0]["secrets"]["serviceAccountKey"]["set"], "the uploaded key is stored")

    visit(driver, "/ui/audit?connection=" + name, "audit")
    by_id(driver, "verify-audit").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "audit-verification")))
    check("Intact" in by_id(driver, "audit-verification").text, "the chain verifies")
    check("connection.update" in by_id(driver, "audit-events").text, "the updates are listed")
    driver.set_window_size(390, 844)
    visit(driver, "/ui/connections/" + name, "narrow-drawer")
    visit(driver, "/ui/connections/%s/edit" % name, "narrow-edit")
    driver.set_window_size(1280, 900)
    sign_out(driver)
    driver.get(BASE + "/ui/connections")
    wait(driver).until(EC.url_contains("/ui/login"))


def viewer_flows(driver):
    name = "lab-vcenter"
    sign_in_with_keyboard(driver, ENV["VIEWER_USER"], ENV["VIEWER_PASSWORD"])
    visit(driver, "/ui/connections/" + name, "viewer-drawer")
    check(not driver.find_elements(By.ID, "new-connection"), "no New Connection for a viewer")
    check(not driver.find_elements(By.ID, "edit-connection") and not driver.find_elements(By.ID, "test-saved"), "no edit controls")
    check(not driver.find_elements(By.LINK_TEXT, "Delete"), "no delete in the action menu")
    check(not driver.find_elements(By.LINK_TEXT, "Audit"), "no audit page for a viewer")
    token = driver.find_element(By.CSS_SELECTOR, "form[action='/ui/logout'] input[name=csrf]").get_attribute("value")
    status = driver.execute_script(
        "const body = new URLSearchParams({csrf: arguments[0]});"
        "return fetch('/ui/connections/%s/delete', {method: 'POST', body}).then(r => r.status);" % name, token)
    check(status == 403, "a viewer's post is refused: %s" % status)
    status = driver.execute_script(
        "return fetch('/ui/connections/%s/delete', {method: 'POST', body: new URLSearchParams({})}).then(r => r.status);" % name)
    check(status == 403, "a post without the form token is refused: %s" % status)
    visit(driver, "/ui/connections/%s/edit" % name, "viewer-edit-refused")
    check("may not" in by_id(driver, "page-error").text, "the edit page is refused")
    check(api("GET", "/v1/connections/" + name)[0]["name"] == name, "nothing was deleted")
    sign_out(driver)


def main():
    os.makedirs(SHOTS, exist_ok=True)
    driver = browser()
    try:
        driver.get(BASE + "/ui/login")
        shot(driver, "sign-in")
        operator_flows(driver)
        viewer_flows(driver)
        with urllib.request.urlopen(BASE + "/ui/assets/dashboard.js", context=TLS_CONTEXT) as response:
            script = response.read().decode()
        check(all(secret not in script for secret in CANARIES), "a secret is in the dashboard's script")
    except SystemExit:
        shot(driver, "failure")
        raise
    except Exception as error:
        shot(driver, "failure")
        fail("%s: %s at %s" % (type(error).__name__, error, driver.current_url))
    finally:
        driver.quit()
    print("dashboard flows passed over %s: %d pages checked for secrets, %d screenshots"
          % (BASE.split(":")[0], pages_checked, shot_number))


if __name__ == "__main__":
    main()
