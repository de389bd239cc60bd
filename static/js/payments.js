// The give form: show the custom amount box when "Other amount" is chosen, the monthly hint for
// monthly gifts. Without this file both are simply always shown.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.give");
  if (!form) return;
  const custom = form.querySelector(".custom-amount");
  const customInput = custom && custom.querySelector("input");
  const hint = form.querySelector(".monthly-hint");
  const update = () => {
    const amount = form.querySelector("input[name=amount_choice]:checked");
    const frequency = form.querySelector("input[name=frequency]:checked");
    const invalid = custom && custom.querySelector(".field-invalid");
    if (custom) custom.classList.toggle("is-hidden", !invalid && !(amount && amount.value === "other"));
    if (hint) hint.classList.toggle("is-hidden", !(frequency && frequency.value === "monthly"));
  };
  form.querySelectorAll("input[name=amount_choice], input[name=frequency]").forEach((input) => {
    input.addEventListener("change", () => {
      update();
      if (input.name === "amount_choice" && input.value === "other" && customInput) customInput.focus();
    });
  });
  if (customInput) {
    customInput.addEventListener("input", () => {
      const other = form.querySelector("input[name=amount_choice][value=other]");
      if (other && customInput.value.trim()) other.checked = true;
    });
  }
  update();
});
