"""The organiser's dashboard in admin: numbers (selectors), charts drawn as
inline SVG on the server (charts) and the page itself (views)."""
