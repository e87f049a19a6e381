// The MetaCompress extension: starts the language server (`python -m metacompress_server`) with the user's Python, passes
// the `metacompress.*` settings, and adds commands, a status bar item and a diff view of failing variants.

import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
} from "vscode-languageclient/node";

import { execFile } from "child_process";

import { Debounced, FOCUS_NOTIFICATION, FocusParams, focusParams } from "./focus";
import { PythonExtensionApi, ServerCommand, pythonFromExtension, serverCommand } from "./interpreter";
import { configuredPython, probeArgs, probeFailure } from "./preflight";
import { initializationOptions, needsRestart, serverSettings } from "./settings";
import { StatusModel } from "./status";
import {
  DiagnosticData,
  VARIANT_SCHEME,
  VariantPayload,
  diagnosticData,
  diffTitle,
  isVariantPayload,
  pickDiagnostic,
  showVariantArguments,
  variantPaths,
} from "./variantView";

const SECTION = "metacompress";
const LANGUAGES = ["c", "java", "python"];
const SERVER_SHOW_VARIANT = "metacompress.showVariant";
const SERVER_COPY_VARIANT = "metacompress.copyVariant";
const SERVER_RECHECK = "metacompress.recheck";
const SERVER_CHECK_FOLDER = "metacompress.checkFolder";

/** What the extension exports (used by its end-to-end tests, and by anyone scripting VS Code). */
export interface MetaCompressApi {
  serverCommand(): ServerCommand | undefined;
  status(): { text: string; tooltip: string };
  ready(): Promise<void>;
}

class VariantDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private serial = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? "";
  }

  add(payload: VariantPayload): { original: vscode.Uri; variant: vscode.Uri } {
    this.serial += 1;
    const paths = variantPaths(payload, this.serial);
    this.texts.set(paths.original, payload.original);
    this.texts.set(paths.variant, payload.variant);
    return {
      original: vscode.Uri.from({ scheme: VARIANT_SCHEME, path: paths.original }),
      variant: vscode.Uri.from({ scheme: VARIANT_SCHEME, path: paths.variant }),
    };
  }
}

class MetaCompressExtension implements MetaCompressApi {
  private client: LanguageClient | undefined;
  private command: ServerCommand | undefined;
  private starting: Promise<void> = Promise.resolve();
  private readonly model = new StatusModel();
  private readonly item: vscode.StatusBarItem;
  private readonly output: vscode.OutputChannel;
  private readonly variants = new VariantDocuments();
  private clientDisposables: vscode.Disposable[] = [];
  private followingPython = false;
  private stopping = false; // stop() is under way: the client's Stopped state is not a crash
  private readonly focus = new Debounced<FocusParams>((params) => {
    if (this.client?.isRunning()) {
      void this.client.sendNotification(FOCUS_NOTIFICATION, params);
    }
  });

  constructor(private readonly context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel("MetaCompress");
    this.item = vscode.window.createStatusBarItem("metacompress.status", vscode.StatusBarAlignment.Left, 10);
    this.item.name = "MetaCompress";
    context.subscriptions.push(
      this.output,
      this.item,
      vscode.workspace.registerTextDocumentContentProvider(VARIANT_SCHEME, this.variants),
      vscode.commands.registerCommand("metacompress.checkFile", () => this.checkFile()),
      vscode.commands.registerCommand("metacompress.checkWorkspace", () => this.checkWorkspace()),
      vscode.commands.registerCommand("metacompress.showFailingVariant", (...args: unknown[]) =>
        this.showVariant(args),
      ),
      vscode.commands.registerCommand("metacompress.copyFailingVariant", (...args: unknown[]) =>
        this.copyVariant(args),
      ),
      vscode.commands.registerCommand("metacompress.restartServer", () => this.restart()),
      vscode.commands.registerCommand("metacompress.showLog", () => this.output.show(true)),
      vscode.workspace.onDidChangeConfiguration((e) => this.configurationChanged(e)),
      vscode.languages.onDidChangeDiagnostics(() => this.countFindings()),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        this.countFindings();
        this.sendFocus(editor);
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => this.sendFocus(e.textEditor)),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.sendFocus(e.textEditor)),
      this.focus,
      { dispose: () => void this.stop() },
    );
    this.render();
    this.item.show();
  }

  // ---- API ---------------------------------------------------------------------------------------------------

  serverCommand(): ServerCommand | undefined {
    return this.command;
  }

  status(): { text: string; tooltip: string } {
    const view = this.model.view();
    return { text: view.text, tooltip: view.tooltip };
  }

  ready(): Promise<void> {
    return this.starting;
  }

  // ---- the server --------------------------------------------------------------------------------------------

  start(): Promise<void> {
    this.starting = this.startClient();
    return this.starting;
  }

  private async startClient(): Promise<void> {
    this.model.setState("starting");
    this.render();
    const config = vscode.workspace.getConfiguration(SECTION);
    const folder = vscode.workspace.workspaceFolders?.[0];
    const configured = configuredPython(config.get<string>("pythonPath"), config.inspect<string>("pythonPath"));
    const fromPythonExtension = configured ? undefined : await this.pythonExtensionInterpreter(folder?.uri);
    const command = serverCommand({
      configured,
      fromPythonExtension,
      serverArgs: config.get<string[]>("serverArgs") ?? [],
      workspaceFolder: folder?.uri.fsPath,
    });
    this.command = command;
    this.output.appendLine(`Starting ${command.command} ${command.args.join(" ")} (Python from: ${command.source})`);
    const unusable = await probePython(command.command, folder?.uri.fsPath);
    if (unusable !== undefined) {
      // Not started: it would crash at its first import and be restarted in a loop.
      this.model.setState("failed", unusable);
      this.render();
      this.output.appendLine(`The server was not started: ${unusable}`);
      void vscode.window.showErrorMessage(`MetaCompress: ${unusable}`, "Open Settings", "Show Log").then((choice) => {
        if (choice === "Open Settings") {
          void vscode.commands.executeCommand("workbench.action.openSettings", "metacompress.pythonPath");
        } else if (choice === "Show Log") {
          this.output.show(true);
        }
      });
      return;
    }
    const serverOptions: ServerOptions = {
      command: command.command,
      args: command.args,
      // No `transport`: TransportKind.stdio would append --stdio, which the server does not take.
      options: { cwd: folder?.uri.fsPath, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: LANGUAGES.map((language) => ({ scheme: "file", language })),
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: () => initializationOptions(vscode.workspace.getConfiguration(SECTION)),
      middleware: {
        workspace: {
          // VS Code answers with every key, unset ones as null: send the server only what the user set.
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (result instanceof ResponseError || !Array.isArray(result)) {
              return result;
            }
            return params.items.map((item, i) => (item.section === SECTION ? serverSettings(result[i]) : result[i]));
          },
        },
        provideCodeActions: async (document, range, context, token, next) => {
          const actions = await next(document, range, context, token);
          return actions?.map((action) => this.ownCommand(action));
        },
      },
    };
    const client = new LanguageClient("metacompress", "MetaCompress", serverOptions, clientOptions);
    this.client = client;
    this.clientDisposables.push(
      client.onDidChangeState((e) => {
        if (this.client !== client) {
          return;
        }
        if (e.newState === State.Running) {
          this.model.setState("running");
        } else if (e.newState === State.Starting) {
          this.model.setState("starting");
        } else if (this.stopping) {
          this.model.setState("stopped");
        } else {
          // Not stopped by us: it crashed (and the client gave up restarting it, or is about to restart it).
          this.model.setState("failed", "the language server stopped unexpectedly; see its log");
        }
        this.render();
      }),
    );
    try {
      await client.start();
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.model.setState("failed", why);
      this.render();
      this.output.appendLine(`The server did not start: ${why}`);
      // Not awaited: ready() must not wait for the user to dismiss the message.
      void vscode.window
        .showErrorMessage(
          `MetaCompress: could not start the language server with "${command.command} ${command.args.join(" ")}". ` +
            'Is metacompress installed for that Python (pip install "metacompress[server,models]")? ' +
            "Set metacompress.pythonPath to choose another interpreter.",
          "Open Settings",
          "Show Log",
        )
        .then((choice) => {
          if (choice === "Open Settings") {
            void vscode.commands.executeCommand("workbench.action.openSettings", "metacompress.pythonPath");
          } else if (choice === "Show Log") {
            this.output.show(true);
          }
        });
      return;
    }
    this.trackProgress(client);
    this.model.setState("running");
    this.countFindings();
  }

  private async pythonExtensionInterpreter(resource: vscode.Uri | undefined): Promise<string | undefined> {
    const extension = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
    if (extension === undefined) {
      return undefined;
    }
    try {
      const api = extension.isActive ? extension.exports : await extension.activate();
      this.followPythonExtension(api);
      return await pythonFromExtension(api, resource);
    } catch (e) {
      this.output.appendLine(`The Python extension did not name an interpreter: ${e}`);
      return undefined;
    }
  }

  /** A new interpreter picked in the Python extension restarts the server, when that is where it came from. */
  private followPythonExtension(api: PythonExtensionApi | undefined): void {
    const subscribe = api?.environments?.onDidChangeActiveEnvironmentPath;
    if (this.followingPython || typeof subscribe !== "function") {
      return;
    }
    this.followingPython = true;
    try {
      const listener = subscribe.call(api?.environments, () => {
        if (this.command?.source === "python-extension") {
          this.output.appendLine("The Python extension selected another interpreter: restarting the server.");
          void this.restart();
        }
      });
      this.context.subscriptions.push({ dispose: () => void listener.dispose() });
    } catch (e) {
      this.output.appendLine(`Cannot follow the Python extension's interpreter: ${e}`);
    }
  }

  /** The server's work-done progress drives the status bar item (in place of VS Code's window progress). */
  private trackProgress(client: LanguageClient): void {
    this.clientDisposables.push(
      client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
        const key = String(token);
        const listener = client.onProgress(WorkDoneProgress.type, token, (value) => {
          if (value.kind === "begin") {
            this.model.begin(key, { title: value.title, message: value.message, percentage: value.percentage });
          } else if (value.kind === "report") {
            this.model.report(key, { message: value.message, percentage: value.percentage });
          } else {
            this.model.end(key);
            listener.dispose();
          }
          this.render();
        });
      }),
    );
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.clientDisposables) {
      d.dispose();
    }
    this.clientDisposables = [];
    if (client !== undefined) {
      this.stopping = true;
      try {
        await client.stop(5000);
      } catch (e) {
        this.output.appendLine(`Stopping the server: ${e}`);
      } finally {
        this.stopping = false;
      }
    }
    this.model.setState("stopped");
    this.render();
  }

  async restart(): Promise<void> {
    await this.starting.catch(() => undefined);
    await this.stop();
    await this.start();
  }

  private configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration(SECTION)) {
      return;
    }
    if (needsRestart((section) => e.affectsConfiguration(section))) {
      void this.restart();
    } else if (this.client?.isRunning()) {
      // settings: null makes the server ask again (workspace/configuration), through the middleware above.
      void this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    }
  }

  /** Tell the server where the cursor and the screen are, so that it checks those functions first. */
  private sendFocus(editor: vscode.TextEditor | undefined): void {
    const client = this.client;
    if (editor === undefined || !client?.isRunning() || !LANGUAGES.includes(editor.document.languageId)) {
      return;
    }
    const uri = client.code2ProtocolConverter.asUri(editor.document.uri);
    this.focus.push(focusParams(uri, editor.selection.active.line, editor.visibleRanges));
  }

  private runningClient(): LanguageClient | undefined {
    if (this.client?.isRunning()) {
      return this.client;
    }
    void vscode.window.showWarningMessage("MetaCompress: the language server is not running (see its log).");
    return undefined;
  }

  // ---- commands ----------------------------------------------------------------------------------------------

  private async checkFile(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const client = this.runningClient();
    if (editor === undefined || client === undefined) {
      return;
    }
    if (!LANGUAGES.includes(editor.document.languageId)) {
      void vscode.window.showInformationMessage("MetaCompress checks C, Java and Python files.");
      return;
    }
    await client.sendRequest(ExecuteCommandRequest.type, {
      command: SERVER_RECHECK,
      arguments: [client.code2ProtocolConverter.asUri(editor.document.uri)],
    });
  }

  /**
   * The server checks each workspace folder's files from disk (only languages with models, no cap); their
   * diagnostics stay in the Problems panel, since no document is opened (and later closed) for them.
   */
  private async checkWorkspace(): Promise<void> {
    const client = this.runningClient();
    if (client === undefined) {
      return;
    }
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) {
      void vscode.window.showInformationMessage("MetaCompress: open a folder to check its files.");
      return;
    }
    let files = 0;
    let withFindings = 0;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "MetaCompress: checking the workspace" },
      async (progress) => {
        for (const folder of folders) {
          progress.report({ message: folder.name });
          const report = (await client.sendRequest(ExecuteCommandRequest.type, {
            command: SERVER_CHECK_FOLDER,
            arguments: [client.code2ProtocolConverter.asUri(folder.uri)],
          })) as { files?: number; withFindings?: number } | null;
          files += report?.files ?? 0;
          withFindings += report?.withFindings ?? 0;
        }
      },
    );
    void vscode.window.showInformationMessage(
      `MetaCompress: checked ${files} file(s), ${withFindings} with findings (see the Problems panel).`,
    );
  }

  /** A code action's server command -> this extension's, which opens a diff editor (show) or the clipboard (copy). */
  private ownCommand(action: vscode.Command | vscode.CodeAction): vscode.Command | vscode.CodeAction {
    if (action instanceof vscode.CodeAction || "kind" in action || "diagnostics" in action) {
      const codeAction = action as vscode.CodeAction;
      if (codeAction.command !== undefined) {
        codeAction.command = this.ownCommand(codeAction.command) as vscode.Command;
      }
      return codeAction;
    }
    const command = action as vscode.Command;
    if (command.command === SERVER_SHOW_VARIANT) {
      return { ...command, command: "metacompress.showFailingVariant" };
    }
    if (command.command === SERVER_COPY_VARIANT) {
      return { ...command, command: "metacompress.copyFailingVariant" };
    }
    return command;
  }

  /** [uri, unitId, recipe] from a code action, else the MetaCompress diagnostic at the cursor. */
  private variantTarget(args: unknown[]): { uri: string; data: DiagnosticData } | undefined {
    if (typeof args[0] === "string" && typeof args[1] === "string") {
      const recipe = Array.isArray(args[2]) ? (args[2] as [string, number][]) : [];
      return { uri: args[0], data: { unitId: args[1], recipe } };
    }
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || this.client === undefined) {
      return undefined;
    }
    const diagnostics = vscode.languages.getDiagnostics(editor.document.uri);
    const picked = pickDiagnostic(diagnostics, editor.selection.active.line);
    const data = picked ? diagnosticData(picked) : undefined;
    if (data === undefined) {
      void vscode.window.showInformationMessage("MetaCompress: no failing function in this file.");
      return undefined;
    }
    return { uri: this.client.code2ProtocolConverter.asUri(editor.document.uri), data };
  }

  private async fetchVariant(command: string, args: unknown[]): Promise<unknown> {
    const client = this.runningClient();
    const target = this.variantTarget(args);
    if (client === undefined || target === undefined) {
      return undefined;
    }
    return client.sendRequest(ExecuteCommandRequest.type, {
      command,
      arguments: showVariantArguments(target.uri, target.data),
    });
  }

  async showVariant(args: unknown[]): Promise<VariantPayload | undefined> {
    const payload = await this.fetchVariant(SERVER_SHOW_VARIANT, args);
    if (!isVariantPayload(payload)) {
      return undefined; // the server said why (the function changed since) in a message
    }
    const uris = this.variants.add(payload);
    await vscode.commands.executeCommand("vscode.diff", uris.original, uris.variant, diffTitle(payload), {
      preview: true,
    });
    vscode.window.setStatusBarMessage(`MetaCompress: ${payload.message}`, 15000);
    return payload;
  }

  private async copyVariant(args: unknown[]): Promise<void> {
    const source = await this.fetchVariant(SERVER_COPY_VARIANT, args);
    if (typeof source === "string") {
      await vscode.env.clipboard.writeText(source);
      void vscode.window.showInformationMessage("MetaCompress: the variant's source is on the clipboard.");
    }
  }

  // ---- status bar --------------------------------------------------------------------------------------------

  private countFindings(): void {
    const document = vscode.window.activeTextEditor?.document;
    // Only files the server checks: not the variant documents of a diff editor, not other languages.
    if (document === undefined || document.uri.scheme !== "file" || !LANGUAGES.includes(document.languageId)) {
      this.model.setFindings(undefined);
    } else {
      // What the Problems panel lists: VS Code leaves hints out of it, so the count does too.
      const ours = vscode.languages
        .getDiagnostics(document.uri)
        .filter((d) => d.source === SECTION && d.severity !== vscode.DiagnosticSeverity.Hint);
      this.model.setFindings(ours.length);
    }
    this.render();
  }

  private render(): void {
    const view = this.model.view();
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.text.startsWith("$(error)") ? "metacompress.showLog" : "workbench.actions.view.problems";
  }
}

/** Whether `python` can run the server: undefined when it can, else what to tell the user. */
function probePython(python: string, cwd: string | undefined): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(python, probeArgs(), { cwd, timeout: 30000, encoding: "utf8" }, (error, stdout, stderr) => {
      const spawnError =
        error !== null && typeof (error as NodeJS.ErrnoException).code === "string"
          ? `${(error as NodeJS.ErrnoException).code}`
          : undefined;
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
      resolve(probeFailure(python, { code, stdout, stderr, error: spawnError }));
    });
  });
}

let extension: MetaCompressExtension | undefined;

export function activate(context: vscode.ExtensionContext): MetaCompressApi {
  extension = new MetaCompressExtension(context);
  void extension.start();
  return extension;
}

export async function deactivate(): Promise<void> {
  const running = extension;
  extension = undefined;
  await running?.stop();
}
