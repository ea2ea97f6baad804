// ShelfAudit on narrow screens: linked from every page by the dashboard's own server
// (pipeline/dashboard/narrow.py). It reads nothing from the page's data and sends nothing.
//
// Below Streamlit's "md" breakpoint (768 px) the sidebar lies over the page. Streamlit closes
// it after a page is chosen only for a phone's user agent; a narrow window of any browser
// (a desktop browser made narrow, a tablet or phone that reports a desktop agent) kept it
// open over the page it had just opened. This closes it there too, with the sidebar's own
// button, once Streamlit has handled the click.
(() => {
  "use strict";
  const NARROW_BELOW = 768; // px: Streamlit's md breakpoint (theme.breakpoints.md)

  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element) || window.innerWidth >= NARROW_BELOW) return;
    if (!target.closest('[data-testid="stSidebarNav"] a')) return;
    window.setTimeout(() => {
      const sidebar = document.querySelector('[data-testid="stSidebar"]');
      if (!sidebar || sidebar.getAttribute("data-collapsed") !== "false") return;
      const close = sidebar.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (close) close.click();
    }, 0);
  });
})();
