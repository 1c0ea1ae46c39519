// The upload's progress bar on the 収納 ファイル取込 form (htmx reports the upload's progress).
// Once the file is sent, the bar becomes indeterminate: receipts is importing it.
document.addEventListener("htmx:xhr:progress", function (event) {
  var form = event.target.closest ? event.target.closest("#import-form") : null;
  if (!form || !event.detail.lengthComputable) return;
  var bar = form.querySelector("progress[data-upload]");
  var label = form.querySelector("#upload-progress-label");
  if (!bar) return;
  if (event.detail.loaded < event.detail.total) {
    bar.max = event.detail.total;
    bar.value = event.detail.loaded;
    label.textContent = "送信中… " + Math.floor((100 * event.detail.loaded) / event.detail.total) + "%";
  } else {
    bar.removeAttribute("value");
    label.textContent = "送信しました。取込処理中です（ファイルの大きさにより数分かかることがあります）…";
  }
});
