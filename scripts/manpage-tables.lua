-- pandoc filter for pairgate.yaml(5): each table becomes a definition list
-- (the first cell is the term; the other cells follow as "Header: text").
-- groff's tbl cannot break a long unbroken word such as a key name or an
-- address in a narrow column ("can't break line"); a definition list has
-- the page's whole width. The HTML and Markdown renderings keep the tables.
local function cell_blocks(cell)
  return cell.contents or cell
end

local function header_texts(tbl)
  local names = {}
  local head = tbl.head
  if head and head.rows and #head.rows > 0 then
    for i, cell in ipairs(head.rows[1].cells) do
      names[i] = pandoc.utils.stringify(cell_blocks(cell))
    end
  end
  return names
end

function Table(tbl)
  local names = header_texts(tbl)
  local items = {}
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      local cells = row.cells
      local term = pandoc.utils.blocks_to_inlines(cell_blocks(cells[1]))
      local defs = {}
      for i = 2, #cells do
        local blocks = cell_blocks(cells[i])
        local inl = pandoc.utils.blocks_to_inlines(blocks)
        if #inl > 0 then
          local label = names[i]
          local para = pandoc.List()
          if label and label ~= '' then
            para:insert(pandoc.Emph({pandoc.Str(label .. ':')}))
            para:insert(pandoc.Space())
          end
          para:extend(inl)
          table.insert(defs, pandoc.Para(para))
        end
      end
      table.insert(items, {term, {defs}})
    end
  end
  return pandoc.DefinitionList(items)
end
