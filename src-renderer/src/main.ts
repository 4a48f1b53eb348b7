import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { createClient } from './client';
import { Studio } from './state/studio.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');

const studio = new Studio(await createClient());
mount(App, { target, props: { studio } });
void studio.start();
