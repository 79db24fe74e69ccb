package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens the report in headless Chromium (Debian's {@code chromium} package) with the network off
 * and checks that uPlot drew every chart: each chart container is marked rendered by the page after
 * uPlot drew it on a non-empty canvas. Skipped where no Chromium is installed.
 */
class MonitorHtmlReportBrowserTest {
  static Optional<Path> chromium() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  @Test
  void everyChartRendersInHeadlessChromium(@TempDir Path dir) throws Exception {
    Optional<Path> browser = chromium();
    assumeTrue(
        browser.isPresent(),
        "headless browser test skipped: no chromium on PATH (apt-get install -y chromium)");
    Path page = dir.resolve("report.html");
    Files.writeString(page, MonitorHtmlReportTest.render(), StandardCharsets.UTF_8);

    Process p =
        new ProcessBuilder(
                browser.get().toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                // No network at all: a page that tried to fetch anything would fail to draw.
                "--proxy-server=127.0.0.1:9",
                "--proxy-bypass-list=<-loopback>",
                "--user-data-dir=" + dir.resolve("profile"),
                "--virtual-time-budget=5000",
                "--dump-dom",
                page.toUri().toString())
            .redirectError(dir.resolve("chromium.log").toFile())
            .start();
    byte[] dom = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
    String html = new String(dom, StandardCharsets.UTF_8);
    assertThat(html)
        .as("chromium's DOM (log in %s)", dir.resolve("chromium.log"))
        .contains("data-charts-rendered=\"4\"");
    for (String id : List.of("rmse", "drift", "oov", "latency")) {
      Matcher m =
          Pattern.compile("<div class=\"chart\" id=\"chart-" + id + "\"([^>]*)>(.*?)</canvas>")
              .matcher(html);
      assertThat(m.find()).as("chart %s with a canvas", id).isTrue();
      assertThat(m.group(1)).as("chart %s", id).contains("data-rendered=\"true\"");
      Matcher size = Pattern.compile("data-canvas-size=\"(\\d+)x(\\d+)\"").matcher(m.group(1));
      assertThat(size.find()).isTrue();
      assertThat(Integer.parseInt(size.group(1))).isPositive();
      assertThat(Integer.parseInt(size.group(2))).isPositive();
    }
  }
}
