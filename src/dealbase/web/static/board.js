// Drag and drop on the board: a card dropped on another column posts the same form as the
// card's "Move to" menu (with the page's CSRF token), then the board is shown again.
const board = document.querySelector("[data-board]");

function showError(message) {
  const alert = document.getElementById("board-error");
  alert.textContent = message;
  alert.hidden = false;
}

async function move(dealId, stageId) {
  const body = new URLSearchParams({ csrf_token: board.dataset.csrf, stage_id: stageId });
  const answer = await fetch(`/deals/${dealId}/move`, {
    method: "POST",
    body,
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (answer.ok) {
    window.location.reload();
    return;
  }
  const refused = await answer.json().catch(() => ({}));
  showError(refused.error || `The deal was not moved (${answer.status}).`);
}

// A card's "Move" menu is made when it is first opened, from the page's one template (the
// stage buttons), so that a board of thousands of cards carries one copy; without the script
// the menu holds a link to the deal's move page instead.
function fillMenu(menu) {
  const card = menu.closest("[data-deal-id]");
  const template = document.getElementById("move-menu");
  if (!card || !template || menu.querySelector("form")) return;
  const form = template.content.firstElementChild.cloneNode(true);
  form.action = `/deals/${card.dataset.dealId}/move?${board.dataset.view}`;
  const list = form.querySelector("ul");
  list.setAttribute("aria-label", `Move ${card.querySelector("[data-title]").textContent} to`);
  const here = card.closest("[data-stage-id]").dataset.stageId;
  list.querySelector(`button[value="${here}"]`)?.closest("li").remove();
  menu.querySelector("a")?.remove();
  menu.append(form);
}

if (board) {
  board.addEventListener(
    "toggle",
    (event) => {
      if (event.target.matches?.(".card details.move") && event.target.open) fillMenu(event.target);
    },
    true,
  );
  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest("[data-deal-id]");
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.dataset.dealId);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });
  board.addEventListener("dragend", (event) => {
    event.target.closest?.("[data-deal-id]")?.classList.remove("dragging");
  });
  for (const column of board.querySelectorAll("[data-stage-id]")) {
    column.addEventListener("dragover", (event) => {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      column.classList.add("drop-target");
    });
    column.addEventListener("dragleave", () => column.classList.remove("drop-target"));
    column.addEventListener("drop", (event) => {
      event.preventDefault();
      column.classList.remove("drop-target");
      const dealId = event.dataTransfer.getData("text/plain");
      const card = document.getElementById(`deal-${dealId}`);
      if (!/^\d+$/.test(dealId) || !card || column.contains(card)) return;
      move(dealId, column.dataset.stageId);
    });
  }
}
