package io.streamrank.datasets;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How the synthetic world changes after the generator's drift point. */
public enum DriftScenario {
  /** Nothing changes: a stationary stream. */
  NONE,
  /** Users' tastes move: part of every user's latent factors are replaced by new ones. */
  TASTE_SHIFT,
  /** A new catalogue arrives: new movies appear and take most of the attention. */
  NEW_MOVIES,
  /** A wave of new users arrives and takes most of the traffic. */
  NEW_USERS;

  /** Parses a command-line name such as {@code taste-shift}, naming the valid ones when wrong. */
  public static DriftScenario parse(String name) {
    String normal = name.strip().toUpperCase(Locale.ROOT).replace('-', '_');
    for (DriftScenario s : values()) {
      if (s.name().equals(normal)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown drift scenario '" + name + "', expected one of " + names());
  }

  /** The command-line names, such as {@code none, taste-shift, ...}. */
  public static String names() {
    return Arrays.stream(values()).map(DriftScenario::cliName).collect(Collectors.joining(", "));
  }

  /** The command-line name. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
