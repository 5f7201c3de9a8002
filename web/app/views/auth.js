// Sign in, sign up, forgotten password, and the reset form that auth's emailed link
// opens (/reset-password?token=…).
import { post, session } from '../api.js';
import { $, clear, h } from '../dom.js';

export function showAuth(mode, onSignedIn) {
  const root = $('#auth');
  root.hidden = false;
  const error = h('p', { class: 'error', role: 'alert' });
  const input = (label, attrs) => {
    const id = `auth-${attrs.name}`;
    return [h('label', { for: id }, label), h('input', { id, required: true, ...attrs })];
  };
  const go = (next) => () => showAuth(next, onSignedIn);
  const forms = {
    signin: () => ['Sign in to Parley',
      [input('Email', { name: 'email', type: 'email', autocomplete: 'username' }),
        input('Password', { name: 'password', type: 'password', autocomplete: 'current-password' })],
      'Sign in', async (v) => signIn(v.email, v.password),
      [h('button', { type: 'button', class: 'link', onclick: go('signup') }, 'Create an account'), ' · ',
        h('button', { type: 'button', class: 'link', onclick: go('forgot') }, 'Forgot password?')]],
    signup: () => ['Create your account',
      [input('Your name', { name: 'display_name', autocomplete: 'name', maxlength: 80 }),
        input('Email', { name: 'email', type: 'email', autocomplete: 'username' }),
        input('Password', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: 10 })],
      'Create account', async (v) => {
        await post('/auth/register', { email: v.email, password: v.password, display_name: v.display_name });
        await signIn(v.email, v.password);
      },
      [h('button', { type: 'button', class: 'link', onclick: go('signin') }, 'I have an account')]],
    forgot: () => ['Reset your password',
      [input('Email', { name: 'email', type: 'email', autocomplete: 'username' })],
      'Email me a link', async (v) => {
        await post('/auth/password-reset', { email: v.email });
        error.textContent = 'If that address has an account, a link is on its way.';
      },
      [h('button', { type: 'button', class: 'link', onclick: go('signin') }, 'Back to sign in')]],
    reset: () => ['Choose a new password',
      [input('New password', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: 10 })],
      'Set password', async (v) => {
        const token = new URLSearchParams(location.search).get('token');
        await post('/auth/password-reset/confirm', { token, new_password: v.password });
        history.replaceState(null, '', '/');
        showAuth('signin', onSignedIn);
      }, []],
  };
  const [title, fields, submit, action, links] = forms[mode]();
  const form = h('form', { class: 'card', 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, title), fields, error,
    h('button', { class: 'primary', type: 'submit' }, submit), h('p', { class: 'note' }, links));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try { await action(Object.fromEntries(new FormData(form))); } catch (err) { error.textContent = err.message; }
  });
  clear(root, form);
  form.querySelector('input')?.focus();

  async function signIn(email, password) {
    session.set(await post('/auth/login', { email, password }));
    clear(root);
    root.hidden = true;
    onSignedIn();
  }
}
