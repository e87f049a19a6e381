-- Test-only (tests/e2e/test_neovim.py): Neovim 0.7+ as an LSP client of the MetaCompress server, with the
-- plain vim.lsp.start_client API. Opens each file of the plan, waits for diagnostics and a finished hover,
-- asks for code actions, runs metacompress.showVariant, and writes everything to the plan's result file.
local plan = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv('METACOMPRESS_NVIM_PLAN')), '\n'))
local result = { errors = {}, files = {}, messages = {} }

local function write()
  vim.fn.writefile({ vim.fn.json_encode(result) }, plan.result)
end

local client_id = vim.lsp.start_client({
  name = 'metacompress',
  cmd = plan.cmd,
  root_dir = plan.root,
  -- Neovim 0.7 does not answer workspace/configuration: the settings go in initializationOptions.
  init_options = { metacompress = plan.settings },
  settings = { metacompress = plan.settings },
  handlers = {
    ['window/showMessage'] = function(_, params)
      table.insert(result.messages, { type = params.type, message = params.message })
    end,
  },
})
if client_id == nil then
  table.insert(result.errors, 'vim.lsp.start_client failed')
  write()
  vim.cmd('qa!')
end

local function request(buf, method, params)
  local answers, err = vim.lsp.buf_request_sync(buf, method, params, plan.timeout_ms)
  if answers == nil or answers[client_id] == nil then
    error(method .. ' got no answer: ' .. tostring(err))
  end
  if answers[client_id].err then
    error(method .. ' failed: ' .. vim.inspect(answers[client_id].err))
  end
  return answers[client_id].result
end

local function visit(language, name, key)
  vim.cmd('edit ' .. vim.fn.fnameescape(plan.root .. '/' .. name))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = language -- the languageId the server sees (-u NONE: no filetype detection)
  vim.lsp.buf_attach_client(buf, client_id)
  local uri = vim.uri_from_bufnr(buf)
  local got = vim.wait(plan.timeout_ms, function() return #vim.diagnostic.get(buf) > 0 end, 100)
  if not got then
    error('no diagnostics on ' .. name)
  end
  local first = vim.diagnostic.get(buf)[1]
  local position = { line = first.lnum, character = first.col }
  local hover = ''
  vim.wait(plan.timeout_ms, function()
    local answer = request(buf, 'textDocument/hover', { textDocument = { uri = uri }, position = position })
    hover = answer and answer.contents and answer.contents.value or ''
    return hover:find('variants', 1, true) ~= nil
  end, 250)
  local diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(diagnostics, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      severity = d.severity, message = d.message, source = d.source,
    })
  end
  -- The LSP form of the line's diagnostics (with `data`), as vim.lsp.buf.code_action() sends them.
  local lsp_diagnostics = vim.lsp.diagnostic.get_line_diagnostics(buf, first.lnum)
  local actions = request(buf, 'textDocument/codeAction', {
    textDocument = { uri = uri },
    range = { start = position, ['end'] = position },
    context = { diagnostics = lsp_diagnostics },
  }) or {}
  local entry = { uri = uri, diagnostics = diagnostics, hover = hover, actions = {} }
  for _, action in ipairs(actions) do
    table.insert(entry.actions, { title = action.title, command = action.command and action.command.command })
    if action.command and action.command.command == 'metacompress.showVariant' then
      entry.variant = request(buf, 'workspace/executeCommand', action.command)
    end
  end
  result.files[key or language] = entry -- key: a second file of the same language
  write()
end

local ok, err = pcall(function()
  for _, item in ipairs(plan.files) do
    visit(item[1], item[2], item[3])
  end
  -- The variant arrives as a message too (0.7 has no window/showDocument); give it a moment to land.
  vim.wait(2000, function() return #result.messages > 0 end, 50)
end)
if not ok then
  table.insert(result.errors, tostring(err))
end
write()
vim.lsp.stop_client(client_id)
vim.wait(3000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
vim.cmd('qa!')
