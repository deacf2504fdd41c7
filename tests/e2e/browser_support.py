"""What several browser tests share beyond the fixtures."""

# A syntactically valid ed25519 key line for hosts that are never contacted.
FAKE_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
# Run in every page before its own scripts: collects what the Content-Security-Policy blocked.
RECORD_VIOLATIONS = """
    window.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
        window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
    });
"""
