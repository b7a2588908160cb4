-- End-to-end with a real editor: headless Neovim 0.7 starts ferrofix's language server on a crate;
-- types E0382 into the buffer without saving and waits for the diagnostic, types the fix (still
-- unsaved) and waits for it to go; then introduces E0382 again, saves, waits for the diagnostic,
-- applies the rustc quick fix from its WorkspaceEdit, saves again and waits for the error to go.
-- Writes a JSON report to $FF_OUT.
local root, out, python = os.getenv("FF_ROOT"), os.getenv("FF_OUT"), os.getenv("FF_PYTHON")
local report = { steps = {} }

local function finish(ok, msg)
  report.ok, report.msg = ok, msg
  local f = io.open(out, "w")
  f:write(vim.fn.json_encode(report))
  f:close()
  vim.cmd("qa!")
end

local function step(name) table.insert(report.steps, name) end

local function errors(bufnr)
  return vim.diagnostic.get(bufnr, { severity = vim.diagnostic.severity.ERROR })
end

local ok, err = pcall(function()
  vim.cmd("edit " .. root .. "/src/main.rs")
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = "ferrofix",
    cmd = { python, "-m", "ferrofix_lsp" },
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = "crate" } },
  })
  if not client_id then return finish(false, "start_client failed") end
  vim.lsp.buf_attach_client(bufnr, client_id)
  step("started")

  -- as you type: no :write, the server checks the buffer's text in its scratch mirror
  local function disk_line()
    local f = io.open(root .. "/src/main.rs")
    local text = f:read("*a")
    f:close()
    return vim.split(text, "\n")[4]
  end
  vim.api.nvim_buf_set_lines(bufnr, 3, 4, false, { "    let moved = greeting;" })
  step("typed broken")
  if not vim.wait(180000, function() return #errors(bufnr) > 0 end, 50) then
    return finish(false, "no diagnostics while typing")
  end
  local t = errors(bufnr)[1]
  report.typed = { lnum = t.lnum, code = t.code, modified = vim.bo[bufnr].modified, disk_line = disk_line() }
  vim.api.nvim_buf_set_lines(bufnr, 3, 4, false, { "    let moved = greeting.clone();" })
  step("typed fix")
  if not vim.wait(180000, function() return #errors(bufnr) == 0 end, 50) then
    return finish(false, "the typed fix did not clear the error")
  end
  step("clean while typing")

  -- line 4: `let moved = greeting.clone();` -> `let moved = greeting;` (E0382 on line 5)
  vim.api.nvim_buf_set_lines(bufnr, 3, 4, false, { "    let moved = greeting;" })
  vim.cmd("write")
  step("saved broken")
  if not vim.wait(180000, function() return #errors(bufnr) > 0 end, 50) then
    return finish(false, "no diagnostics after save")
  end
  local d = errors(bufnr)[1]
  report.diagnostic = { lnum = d.lnum, col = d.col, end_col = d.end_col, code = d.code, message = d.message }
  step("diagnostics")

  local lsp_diags = vim.lsp.diagnostic.get_line_diagnostics(bufnr, d.lnum)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = lsp_diags[1].range,
    context = { diagnostics = lsp_diags },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 10000)
  local fix, titles = nil, {}
  for _, resp in pairs(responses or {}) do
    for _, action in ipairs(resp.result or {}) do
      table.insert(titles, action.title)
      if action.edit and not fix then fix = action end
    end
  end
  report.titles = titles
  if not fix then return finish(false, "no quick fix with an edit") end
  vim.lsp.util.apply_workspace_edit(fix.edit, "utf-16")
  report.fixed_line = vim.api.nvim_buf_get_lines(bufnr, 3, 4, false)[1]
  vim.cmd("write")
  step("applied " .. fix.title)
  if not vim.wait(180000, function() return #errors(bufnr) == 0 end, 50) then
    return finish(false, "error still reported after the fix")
  end
  step("clean")
  finish(true, "ok")
end)
if not ok then finish(false, tostring(err)) end
