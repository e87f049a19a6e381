/** Run-length coding of strings and a checksum of the result. */
public class RunLength {
    public static String encode(String s) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            int run = 1;
            while (i + run < s.length() && s.charAt(i + run) == c && run < 9) {
                run++;
            }
            out.append(run).append(c);
            i += run;
        }
        return out.toString();
    }

    public static String decode(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i + 1 < s.length(); i += 2) {
            int run = s.charAt(i) - '0';
            char c = s.charAt(i + 1);
            for (int k = 0; k < run; k++) {
                out.append(c);
            }
        }
        return out.toString();
    }

    public static int checksum(String s) {
        int a = 1, b = 0;
        for (int i = 0; i < s.length(); i++) {
            a = (a + s.charAt(i)) % 65521;
            b = (b + a) % 65521;
        }
        return (b << 16) | a;
    }

    static boolean isPalindrome(String s) {
        int left = 0;
        int right = s.length() - 1;
        while (left < right) {
            if (s.charAt(left) != s.charAt(right)) {
                return false;
            }
            left++;
            right--;
        }
        return true;
    }

    public static void main(String[] args) {
        String[] inputs = {"aaabccddddd", "", "abc", "zzzzzzzzzzzzzz", "abba"};
        for (String in : inputs) {
            String enc = encode(in);
            String dec = decode(enc);
            System.out.println("'" + in + "' -> '" + enc + "' -> '" + dec + "' ok=" + dec.equals(in)
                    + " sum=" + Integer.toHexString(checksum(enc)) + " palindrome=" + isPalindrome(in));
        }
    }
}
