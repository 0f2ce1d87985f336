// Executive reports: the "Print" button opens the browser's print dialog (printable layout in
// app.css @media print).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (!button) return;
  event.preventDefault();
  window.print();
});
