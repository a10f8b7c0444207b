// The tree's time slider: shown only with JavaScript (the page has week links and a text
// field without it). Moving it writes the instant into the `as_of` field; its `change`
// bubbles to the form, which htmx sends, swapping the tree and pushing the URL.

const isoSecond = (seconds) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
const readable = (seconds) => isoSecond(seconds).replace("T", " ").replace("Z", " UTC");

function enhance(wrapper) {
  const slider = wrapper.querySelector("input[type=range]");
  const field = document.getElementById(slider.dataset.field);
  const shown = wrapper.querySelector("output");
  const live = slider.dataset.live === "true";
  const atEnd = () => live && Number(slider.value) >= Number(slider.max);
  slider.addEventListener("input", () => {
    field.value = atEnd() ? "" : isoSecond(Number(slider.value));
    shown.textContent = atEnd() ? "now" : readable(Number(slider.value));
  });
  // A typed instant moves the slider too, once the tree for it has been shown.
  document.body.addEventListener("htmx:afterSwap", () => {
    const typed = Date.parse(field.value);
    if (!Number.isNaN(typed)) {
      slider.value = String(Math.round(typed / 1000));
      shown.textContent = readable(Number(slider.value));
    } else if (field.value === "") {
      slider.value = slider.max;
      shown.textContent = "now";
    }
  });
  wrapper.hidden = false;
}

document.querySelectorAll("[data-slider]").forEach(enhance);
