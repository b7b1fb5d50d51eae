// SPDX-License-Identifier: BSD-2-Clause
// What both test pages share: their query parameters, a log that goes to the
// test's server (serve.py prints it), and Janus's start.
"use strict";

const params = new URLSearchParams(location.search);
const janusUrl = params.get("janus");
const roomId = Number(params.get("room") || 1234);

function report(path, body) {
    return fetch(path, { method: "POST", body: JSON.stringify(body) }).catch(() => {});
}

function log(text) {
    const line = `[${document.title}] ${text}`;
    console.log(line);
    document.getElementById("log").textContent += line + "\n";
    report("/log", { line });
}

// Any failure ends the test at once with a message, rather than a timeout.
function fail(text) {
    log(`FAIL: ${text}`);
    report("/result", { ok: false, error: text });
}

// Calls ready(janus) once a Janus session exists.
function startJanus(ready) {
    if (!janusUrl) {
        fail("no ?janus=URL in the page's address");
        return;
    }
    Janus.init({
        debug: ["warn", "error"],
        callback: () => {
            if (!Janus.isWebrtcSupported()) {
                fail("this browser has no WebRTC");
                return;
            }
            const janus = new Janus({
                server: janusUrl,
                success: () => ready(janus),
                error: (error) => fail(`Janus session: ${error}`),
            });
        },
    });
}
