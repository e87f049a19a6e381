import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Word and line statistics for a piece of text: the kind of utility found in many code bases. */
public class TextStats {
    private final String text;

    public TextStats(String text) {
        this.text = text == null ? "" : text;
    }

    /** Splits on anything that is not a letter, digit or apostrophe; lower-cases the words. */
    public List<String> words() {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isLetterOrDigit(c) || c == '\'') {
                current.append(Character.toLowerCase(c));
            } else if (current.length() > 0) {
                out.add(current.toString());
                current.setLength(0);
            }
        }
        if (current.length() > 0) {
            out.add(current.toString());
        }
        return out;
    }

    public Map<String, Integer> frequencies() {
        Map<String, Integer> counts = new TreeMap<>();
        for (String w : words()) {
            Integer old = counts.get(w);
            counts.put(w, old == null ? 1 : old + 1);
        }
        return counts;
    }

    public String mostFrequent() {
        String best = null;
        int bestCount = 0;
        for (Map.Entry<String, Integer> e : frequencies().entrySet()) {
            if (e.getValue() > bestCount) {
                best = e.getKey();
                bestCount = e.getValue();
            }
        }
        return best;
    }

    /** Counts of vowels, consonants, digits and other characters, in that order. */
    public int[] characterClasses() {
        int[] counts = new int[4];
        int i = 0;
        while (i < text.length()) {
            char c = Character.toLowerCase(text.charAt(i));
            switch (c) {
                case 'a':
                case 'e':
                case 'i':
                case 'o':
                case 'u':
                    counts[0]++;
                    break;
                case ' ':
                case '\n':
                case '\t':
                    break;
                default:
                    if (c >= 'a' && c <= 'z') {
                        counts[1]++;
                    } else if (c >= '0' && c <= '9') {
                        counts[2] += 1;
                    } else {
                        counts[3] = counts[3] + 1;
                    }
            }
            i++;
        }
        return counts;
    }

    public double averageLineLength() {
        String[] lines = text.split("\n", -1);
        int total = 0, nonEmpty = 0;
        for (String line : lines) {
            String trimmed = line.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            total += trimmed.length();
            nonEmpty++;
        }
        return nonEmpty == 0 ? 0.0 : (double) total / nonEmpty;
    }

    public String longestWord() {
        String longest = "";
        for (String w : words()) {
            if (w.length() > longest.length() || (w.length() == longest.length() && w.compareTo(longest) < 0)) {
                longest = w;
            }
        }
        return longest;
    }

    public static String capitalize(String s) {
        if (s == null || s.isEmpty()) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        boolean startOfWord = true;
        for (int i = 0; i < s.length(); ++i) {
            char c = s.charAt(i);
            if (startOfWord && Character.isLetter(c)) {
                sb.append(Character.toUpperCase(c));
                startOfWord = false;
            } else {
                sb.append(c);
                if (c == ' ') {
                    startOfWord = true;
                }
            }
        }
        return sb.toString();
    }

    public static void main(String[] args) {
        String sample = "The quick brown fox jumps over the lazy dog.\n"
                + "The dog sleeps; the fox runs 42 laps!\n\n"
                + "It's a fox's life, isn't it?\n";
        TextStats stats = new TextStats(sample);
        System.out.println("words: " + stats.words().size());
        System.out.println("frequencies: " + stats.frequencies());
        System.out.println("most frequent: " + stats.mostFrequent());
        int[] classes = stats.characterClasses();
        System.out.println("vowels=" + classes[0] + " consonants=" + classes[1] + " digits=" + classes[2] + " other=" + classes[3]);
        System.out.printf("average line length: %.3f%n", stats.averageLineLength());
        System.out.println("longest word: " + stats.longestWord());
        System.out.println(capitalize("hello wide world"));
        Map<Integer, Integer> byLength = new HashMap<>();
        for (String w : stats.words()) {
            byLength.merge(w.length(), 1, Integer::sum);
        }
        System.out.println("by length: " + new TreeMap<>(byLength));
    }
}
