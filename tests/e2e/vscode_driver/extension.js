// Test-only: in a real VS Code, open a C and a Java file, wait for MetaCompress's diagnostics, ask for a hover
// and the code actions, run "Show failing variant", and write what was seen to the plan's result file.
// Between steps it waits for the test's screenshots (ack files), so the pictures show a settled editor.
const fs = require("fs");
const path = require("path");
const vscode = require("vscode");

let metacompress; // the extension's API, once active

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (metacompress && metacompress.status().text.startsWith("$(error)")) {
      throw new Error(`the MetaCompress server is not running: ${metacompress.status().tooltip}`);
    }
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(250);
  }
}

function plain(d) {
  return {
    message: d.message,
    severity: ["error", "warning", "information", "hint"][d.severity],
    source: d.source,
    code: typeof d.code === "object" && d.code !== null ? d.code.value : d.code,
    range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character],
    data: d.data === undefined ? null : d.data,
  };
}

function hoverText(hovers) {
  return (hovers || [])
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === "string" ? c : c.value))
    .join("\n");
}

async function diagnosticsOf(uri, timeoutMs) {
  return until(
    `MetaCompress diagnostics on ${uri.fsPath}`,
    () => {
      const ours = vscode.languages.getDiagnostics(uri).filter((d) => d.source === "metacompress");
      return ours.length > 0 ? ours : undefined;
    },
    timeoutMs,
  );
}

async function visitFile(plan, folder, name) {
  const uri = vscode.Uri.file(path.join(folder, name));
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: false });
  const diagnostics = await diagnosticsOf(uri, plan.timeoutMs);
  // Hovers answer "Checking..." until every function of this version is done: wait for a finished one.
  const position = diagnostics[0].range.start;
  const hover = await until(
    "a finished hover",
    async () => {
      const text = hoverText(await vscode.commands.executeCommand("vscode.executeHoverProvider", uri, position));
      return text.includes("variants") ? text : undefined;
    },
    plan.timeoutMs,
  );
  const settled = vscode.languages.getDiagnostics(uri).filter((d) => d.source === "metacompress");
  const actions = await vscode.commands.executeCommand(
    "vscode.executeCodeActionProvider",
    uri,
    settled[0].range,
    vscode.CodeActionKind.QuickFix.value,
  );
  return {
    uri: uri.toString(),
    languageId: document.languageId,
    diagnostics: settled.map(plain),
    hover,
    actions: (actions || []).map((a) => ({
      title: a.title,
      kind: a.kind ? a.kind.value : null,
      command: a.command ? a.command.command : null,
      arguments: a.command ? a.command.arguments || [] : [],
    })),
    document,
    rawActions: actions || [],
  };
}

function diffTabs() {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputTextDiff)
    .map((tab) => ({ label: tab.label, original: tab.input.original, modified: tab.input.modified }));
}

async function screenshotPause(plan, result, name) {
  // The test takes a screenshot when it sees `phase`, then creates the ack file.
  result.phase = `screenshot:${name}`;
  write(plan, result);
  const ack = `${plan.result}.${name}.ack`;
  try {
    await until(`the ${name} screenshot`, () => fs.existsSync(ack), plan.screenshotTimeoutMs);
  } catch (e) {
    result.errors.push(String(e));
  }
}

function write(plan, result) {
  const tmp = `${plan.result}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(result, null, 2));
  fs.renameSync(tmp, plan.result);
}

async function drive(plan, folder) {
  const result = { phase: "started", errors: [], files: {} };
  write(plan, result);
  try {
    const extension = vscode.extensions.getExtension("metacompress.metacompress");
    const api = extension.isActive ? extension.exports : await extension.activate();
    await api.ready();
    metacompress = api;
    result.serverCommand = api.serverCommand();
    const seen = {};
    for (const [language, name] of Object.entries(plan.files)) {
      seen[language] = await visitFile(plan, folder, name);
      const { document, rawActions, ...rest } = seen[language];
      result.files[language] = rest;
      write(plan, result);
    }
    if (plan.tour === "diagnostics") {
      result.status = api.status();
      result.phase = "done";
      write(plan, result);
      return;
    }
    // The C file again: the status bar counts its findings; the hover and Problems panel go on the screenshot.
    const c = seen.c;
    const editor = await vscode.window.showTextDocument(c.document, { preview: false });
    const first = vscode.languages.getDiagnostics(c.document.uri).find((d) => d.source === "metacompress");
    result.status = api.status();
    await vscode.commands.executeCommand("workbench.actions.view.problems");
    await vscode.commands.executeCommand("workbench.action.focusActiveEditorGroup");
    editor.selection = new vscode.Selection(first.range.start, first.range.start);
    editor.revealRange(first.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    await sleep(500);
    await vscode.commands.executeCommand("editor.action.showHover");
    await sleep(1500);
    await screenshotPause(plan, result, "diagnostics");

    // "Show failing variant" as the user runs it: the code action's command, which opens a diff editor.
    const show = c.rawActions.find((a) => a.command && a.command.command === "metacompress.showFailingVariant");
    if (show === undefined) {
      throw new Error("no Show failing variant code action");
    }
    const payload = await vscode.commands.executeCommand(show.command.command, ...(show.command.arguments || []));
    result.variantPayload = payload === undefined ? null : payload;
    const tabs = await until("the diff editor", () => (diffTabs().length > 0 ? diffTabs() : undefined), 20000);
    const tab = tabs[0];
    const original = await vscode.workspace.openTextDocument(tab.original);
    const modified = await vscode.workspace.openTextDocument(tab.modified);
    result.diffEditor = {
      label: tab.label,
      scheme: tab.modified.scheme,
      originalPath: tab.original.path,
      modifiedPath: tab.modified.path,
      originalText: original.getText(),
      modifiedText: modified.getText(),
      modifiedLanguageId: modified.languageId,
    };
    await sleep(1000);
    await screenshotPause(plan, result, "diff");

    // The extension's own commands run without error: check this file; restart the server and see it again.
    await vscode.commands.executeCommand("metacompress.checkFile");
    await vscode.commands.executeCommand("metacompress.restartServer");
    await api.ready();
    result.afterRestart = {
      status: api.status(),
      diagnostics: (await diagnosticsOf(c.document.uri, plan.timeoutMs)).map(plain),
    };
  } catch (e) {
    result.errors.push(e && e.stack ? e.stack : String(e));
  }
  result.phase = "done";
  write(plan, result);
}

function activate() {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0].uri.fsPath;
  const planFile = folder && path.join(folder, ".e2e-driver.json");
  if (!planFile || !fs.existsSync(planFile)) {
    return;
  }
  const plan = JSON.parse(fs.readFileSync(planFile, "utf8"));
  if (fs.existsSync(plan.result)) {
    return; // a reloaded window: the first one drove already
  }
  void drive(plan, folder);
}

module.exports = { activate, deactivate() {} };
